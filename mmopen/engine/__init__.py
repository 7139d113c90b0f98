"""Hooks."""
from .ovs_hooks import OpenVocabularyHook, ProxyCalibrationHook

__all__ = ['OpenVocabularyHook', 'ProxyCalibrationHook']
