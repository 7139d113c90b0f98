"""Hooks."""
from .checkpoint_fit_hook import CheckpointFitHook
from .ovs_hooks import OpenVocabularyHook, ProxyCalibrationHook
from .rng_state_hook import RNGStateHook

__all__ = ['CheckpointFitHook', 'OpenVocabularyHook', 'ProxyCalibrationHook', 'RNGStateHook']
