"""Hooks."""
from .ovs_hooks import OpenVocabularyHook, ProxyCalibrationHook
from .rng_state_hook import RNGStateHook

__all__ = ['OpenVocabularyHook', 'ProxyCalibrationHook', 'RNGStateHook']
