"""Inference in a few lines, as mmseg's and mmpretrain's ``apis``: models from a config name or
path and a checkpoint (or ``'none'`` for zero-shot models), images from paths, folders or
arrays. Importing this package registers mmopen's modules (it imports ``mmopen``)."""
from .base import find_config, list_models
from .ood_inferencer import OODInferencer, tpr_thresholds
from .osdg_inferencer import OSDGInferencer
from .seg_inferencer import OpenVocabSegInferencer

__all__ = [
    'OpenVocabSegInferencer', 'OODInferencer', 'OSDGInferencer', 'find_config', 'list_models',
    'tpr_thresholds'
]
