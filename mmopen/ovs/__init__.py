"""Pure open-vocabulary segmentation (OVSNet / OpenBench) functions: Gradient-Free Aggregation,
mask pooling, the Proxy Calibration loss, FC-CLIP's geometric ensemble, chunked semantic maps
and the seen / unseen mIoU behind ``mmopen.models.OVSNetHead`` and
``mmopen.models.ProxyCalibrationLoss``, and the analyses of the paper's Sec. 3 (semantic
similarity of a test vocabulary to the training one, OpenBench's selection)."""
from .ensemble import geometric_ensemble
from .gfa import GFADivergenceError, GFAOutput, gfa, gfa_operators, spectral_radius
from .mask_pooling import mask_pool
from .metrics import seen_unseen_iou
from .openbench import OpenBenchSelection, select_openbench
from .proxy_calibration import mixed_alignment_loss, proxy_calibration_loss
from .semantic_maps import chunked_semantic_argmax
from .semantic_similarity import max_similarity, similarity_summary

__all__ = [
    'GFADivergenceError', 'GFAOutput', 'gfa', 'gfa_operators', 'spectral_radius', 'mask_pool',
    'OpenBenchSelection', 'select_openbench', 'mixed_alignment_loss', 'proxy_calibration_loss',
    'max_similarity', 'similarity_summary', 'geometric_ensemble', 'seen_unseen_iou',
    'chunked_semantic_argmax'
]
