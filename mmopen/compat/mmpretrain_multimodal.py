"""MMPretrain 1.2.0's multi-modal models (BLIP, BLIP-2, LLaVA, ...) import helpers that
``transformers`` 5 no longer has (``apply_chunking_to_forward``, ``prune_linear_layer``, ...):
with ``transformers`` installed (SynOOD's diffusion text encoder needs it), ``import
mmpretrain.models`` then fails with ``TypeError: NoneType takes no arguments``, and with it every
mmpretrain and mmseg model.

:func:`guard_mmpretrain_multimodal` makes MMPretrain take its own "multi-modal dependencies
missing" path (``WITH_MULTIMODAL = False``): its multi-modal models are replaced by registry
placeholders that raise a clear ImportError when built; every other model is unaffected. It must
run before ``mmpretrain.models`` is imported, which ``import mmopen`` does first thing; a script
that imports ``mmpretrain.models`` (or ``mmseg.models``) before ``mmopen`` gets the upstream
error.
"""
import sys
from importlib import metadata

_HELPERS = ('apply_chunking_to_forward', 'find_pruneable_heads_and_indices', 'prune_linear_layer')


def transformers_breaks_mmpretrain() -> bool:
    """Whether the installed ``transformers`` lacks the helpers MMPretrain's BLIP imports."""
    try:
        version = metadata.version('transformers')
    except metadata.PackageNotFoundError:
        return False
    if int(version.split('.')[0]) >= 5:  # removed from modeling_utils in 5.0
        return True
    try:
        from transformers import modeling_utils
    except ImportError:
        return True
    return not all(hasattr(modeling_utils, name) for name in _HELPERS)


def guard_mmpretrain_multimodal() -> bool:
    """Turn MMPretrain's multi-modal models off when they cannot import; returns whether it
    did. A no-op once ``mmpretrain.models`` is imported (too late to change)."""
    if 'mmpretrain.models' in sys.modules or not transformers_breaks_mmpretrain():
        return False
    from mmpretrain.utils import dependency
    if not dependency.WITH_MULTIMODAL:
        return False
    dependency.WITH_MULTIMODAL = False
    return True
