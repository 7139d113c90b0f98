"""Hooks and the runner."""
from .checkpoint_fit_hook import CheckpointFitHook
from .image_file_check_hook import ImageFileCheckHook
from .ovs_hooks import OpenVocabularyHook, ProxyCalibrationHook
from .rng_state_hook import RNGStateHook
from .runner import MMOpenRunner

__all__ = ['CheckpointFitHook', 'ImageFileCheckHook', 'OpenVocabularyHook',
           'ProxyCalibrationHook', 'RNGStateHook', 'MMOpenRunner']
