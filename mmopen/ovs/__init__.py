from .gfa import GFADivergenceError, GFAOutput, gfa, gfa_operators, spectral_radius
from .mask_pooling import mask_pool

__all__ = ['GFADivergenceError', 'GFAOutput', 'gfa', 'gfa_operators', 'spectral_radius',
           'mask_pool']
