"""Fixes that make the pinned OpenMMLab stack work on current PyTorch.

Importing :mod:`mmopen` applies them once (see :func:`apply_all`):

* :mod:`.checkpoint` -- MMEngine's checkpoint loading (``--resume``, ``load_from``,
  ``init_cfg=dict(type='Pretrained')``) under ``torch.load(weights_only=True)``, with an
  allow-list of exactly the objects MMEngine writes and a clear refusal for anything else.
* :mod:`.distributed` -- ``--launcher pytorch`` on machines without CUDA (gloo backend, CPU DDP).
* :mod:`.mmpretrain_multimodal` -- MMPretrain's models importable next to ``transformers`` 5
  (its BLIP-family models, which need helpers ``transformers`` 5 removed, become placeholders).
* :mod:`.versions` -- a warning (never an error) when a package version differs from the tested
  stack.
"""
from .checkpoint import (UnsafeCheckpointError, allow_checkpoint_globals,
                         install_safe_checkpoint_loader, safe_torch_load, trust_checkpoint)
from .distributed import install_cpu_distributed_support
from .mmpretrain_multimodal import guard_mmpretrain_multimodal
from .versions import TESTED_VERSIONS, check_versions

__all__ = [
    'UnsafeCheckpointError', 'allow_checkpoint_globals', 'install_safe_checkpoint_loader',
    'safe_torch_load', 'trust_checkpoint', 'install_cpu_distributed_support',
    'guard_mmpretrain_multimodal', 'TESTED_VERSIONS', 'check_versions', 'apply_all'
]

_APPLIED = False


def apply_all() -> None:
    """Apply every fix once per process (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    guard_mmpretrain_multimodal()
    install_safe_checkpoint_loader()
    install_cpu_distributed_support()
    _APPLIED = True
