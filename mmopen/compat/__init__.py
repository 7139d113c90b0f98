"""What makes the pinned OpenMMLab stack work on current PyTorch, without replacing any of its
functions:

* :mod:`.checkpoint` -- reading MMEngine checkpoints under ``torch.load(weights_only=True)``
  (:func:`load_checkpoint_file`, :func:`load_weights`), with an allow-list of exactly the objects
  MMEngine writes and a clear refusal for anything else. mmopen's runner
  (:class:`mmopen.engine.MMOpenRunner`, which also runs ``--launcher pytorch`` without CUDA),
  inferencers and tools read checkpoints through it.
* :mod:`.mmpretrain_multimodal` -- MMPretrain's models importable next to ``transformers`` 5:
  ``import mmopen`` sets MMPretrain's own switch for missing multi-modal dependencies
  (``WITH_MULTIMODAL``) before ``mmpretrain.models`` is imported, so its BLIP-family models,
  which need helpers ``transformers`` 5 removed, become its own placeholders.
* :mod:`.versions` -- a warning (never an error) when a package version differs from the tested
  stack.
"""
from .checkpoint import (UnsafeCheckpointError, allow_checkpoint_globals, load_checkpoint_file,
                         load_weights, safe_torch_load, trust_checkpoint)
from .mmpretrain_multimodal import guard_mmpretrain_multimodal
from .versions import TESTED_VERSIONS, check_versions

__all__ = [
    'UnsafeCheckpointError', 'allow_checkpoint_globals', 'load_checkpoint_file', 'load_weights',
    'safe_torch_load', 'trust_checkpoint', 'guard_mmpretrain_multimodal', 'TESTED_VERSIONS',
    'check_versions'
]
