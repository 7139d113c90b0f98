"""Safe loading of MMEngine checkpoints under ``torch.load(weights_only=True)``.

MMEngine 0.10.7 calls ``torch.load(filename, map_location)`` without ``weights_only``; since
PyTorch 2.6 that defaults to ``weights_only=True`` and every checkpoint a Runner wrote fails to
load ("Weights only load failed ... numpy._core.multiarray.scalar"), so ``--resume`` and
``load_from`` die. mmopen's readers (:class:`mmopen.engine.MMOpenRunner`, the inferencers, the
tools) read checkpoints with :func:`load_checkpoint_file` instead; MMEngine's own loader is left
as it is. Turning ``weights_only`` off would let any checkpoint file run arbitrary code
when it is unpickled. Instead, mmopen keeps ``weights_only=True`` and allow-lists exactly the
objects MMEngine itself writes into a checkpoint:

* ``mmengine.logging.HistoryBuffer`` (the message hub's ``log_scalars``) and its statistics
  methods (``HistoryBuffer.min`` ...; pickle protocol 2 stores them as
  ``getattr(HistoryBuffer, 'min')``, so ``getattr`` is allowed for exactly those names and
  nothing else),
* NumPy arrays, dtypes and scalars (history buffers, ``meta['seed']`` and friends),
* ``collections.Counter`` (``MultiStepLR``'s milestones).

Anything else in the pickle is refused with :class:`UnsafeCheckpointError`, which names the
object and says how to opt in for a file the user trusts:

* ``MMOPEN_TRUSTED_CHECKPOINTS=/path/a.pth:/path/b.pth`` in the environment,
* :func:`trust_checkpoint` from Python, or ``--trust-checkpoint PATH`` of ``tools/train.py`` and
  ``tools/test.py``, which load that one file with ``weights_only=False``;
* :func:`allow_checkpoint_globals` to allow one more class for every file (still no code runs
  unless that class's own reconstruction does so).
"""
import os
import os.path as osp
import pickle
import re
from typing import Any, List, Optional, Set

import torch

TRUST_ENV = 'MMOPEN_TRUSTED_CHECKPOINTS'

_trusted_paths: Set[str] = set()
_extra_globals: List[Any] = []


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allow-list."""


def _norm(path: str) -> str:
    return osp.realpath(osp.expanduser(str(path)))


def trust_checkpoint(path: str) -> None:
    """Allow ``path`` (this one file) to be loaded with ``weights_only=False``.

    Only do this for a file you made or got from a source you trust: unpickling it may run any
    code it carries.
    """
    _trusted_paths.add(_norm(path))


def allow_checkpoint_globals(*objs: Any) -> None:
    """Add classes or functions to the allow-list used for every checkpoint (for checkpoints that
    legitimately carry, e.g., a custom dataclass in their ``meta``)."""
    _extra_globals.extend(objs)


def is_trusted(path: str) -> bool:
    env = os.environ.get(TRUST_ENV, '')
    trusted = set(_trusted_paths)
    trusted.update(_norm(p) for p in env.split(os.pathsep) if p)
    return _norm(path) in trusted


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to the statistics methods of ``HistoryBuffer``."""
    from mmengine.logging import HistoryBuffer
    allowed = set(HistoryBuffer._statistics_methods) | {'min', 'max', 'mean', 'current'}
    if obj is HistoryBuffer and name in allowed and not name.startswith('_'):
        return getattr(obj, name)
    owner = getattr(obj, '__qualname__', type(obj).__qualname__)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL {getattr(obj, "__module__", "")}.{owner}.{name} (through '
        'getattr) is not an attribute MMEngine pickles.')


def mmengine_safe_globals() -> List[Any]:
    """The objects MMEngine writes into checkpoints (runner state, message hub, numpy meta)."""
    import numpy as np
    from mmengine.logging import HistoryBuffer

    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    import collections
    objs: List[Any] = [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
                       collections.Counter, (_history_buffer_getattr, 'builtins.getattr')]
    # numpy >= 1.25 pickles dtypes through their concrete classes, e.g. ``Float64DType``.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        objs.extend(getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType'))
    return objs + list(_extra_globals)


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')
# a remote scheme at the start of a checkpoint name (``https://``, ``s3://``, ``open-mmlab://``)
_SCHEME_RE = re.compile(r'^[A-Za-z][\w+.-]*://')


def torch_reason(err: Exception) -> str:
    """The informative line of torch's weights-only error (it starts with boilerplate)."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for ln in lines:
        if 'WeightsUnpickler error' in ln or ln.startswith('Unsupported'):
            tail = ln.split('WeightsUnpickler error:', 1)[-1].strip()
            if tail:
                return tail
            nxt = lines[lines.index(ln) + 1:]
            return nxt[0] if nxt else ln
    return lines[0] if lines else type(err).__name__


def unsafe_globals(err: Exception) -> List[str]:
    """Names of the globals torch refused, e.g. ``['os.system']``; empty if the file was not
    refused for an object (e.g. it is corrupt)."""
    return list(dict.fromkeys(_GLOBAL_RE.findall(str(err))))


def _refusal(path: str, err: Exception) -> Exception:
    found = unsafe_globals(err)
    if not found:
        return RuntimeError(
            f'Could not read checkpoint {path!r}: it is truncated, corrupt or not a PyTorch '
            f'checkpoint ({torch_reason(err)}).')
    what = ', '.join(f'`{g}`' for g in found)
    return UnsafeCheckpointError(
        f'Refused to load checkpoint {path!r}: it contains the pickled object {what}, which is '
        'not one of the objects MMEngine writes into checkpoints (tensors, containers, '
        'numbers, strings, NumPy arrays, HistoryBuffer). Unpickling an arbitrary object can '
        'run any code on this machine, so mmopen loads checkpoints with '
        'torch.load(weights_only=True). If you trust this file, opt in for it alone: '
        f'`export {TRUST_ENV}={path}` (several paths separated by "{os.pathsep}"), or pass '
        f'`--trust-checkpoint {path}` to tools/train.py / tools/test.py, or call '
        f'mmopen.compat.trust_checkpoint({path!r}) before loading. '
        f'(torch said: {torch_reason(err)})')


def safe_torch_load(filename: Any, map_location: Optional[Any] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and MMEngine's allow-list.

    ``filename`` may be a path or a file-like object (then it is never treated as trusted).
    """
    name = str(filename) if isinstance(filename, (str, os.PathLike)) else None
    label = name if name is not None else '<in-memory checkpoint>'
    try:
        if name is not None and is_trusted(name):
            return torch.load(filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise _refusal(label, err) from None
    except (RuntimeError, EOFError) as err:  # a cut copy: torch names no file
        if not isinstance(err, EOFError) and 'PytorchStreamReader' not in str(err):
            raise
        raise RuntimeError(
            f'Could not read checkpoint {label!r}: it is truncated or corrupt (an interrupted '
            f'save or copy?); copy or save it again. (torch said: {torch_reason(err)})') from None


def load_checkpoint_file(filename: str, map_location: Optional[Any] = 'cpu') -> Any:
    """A checkpoint as MMEngine's ``_load_checkpoint`` reads it, but a local file (any path
    without a ``scheme://``) through :func:`safe_torch_load`; other schemes (``http://``,
    ``s3://``, ``open-mmlab://`` ...) are MMEngine's own loaders."""
    name = str(filename)
    if _SCHEME_RE.match(name):
        from mmengine.runner.checkpoint import _load_checkpoint
        return _load_checkpoint(name, map_location=map_location)
    name = osp.expanduser(name)
    if not osp.isfile(name):
        raise FileNotFoundError(f'Checkpoint {name!r} does not exist: check the path (for a '
                                'run of tools/train.py, WORK_DIR/last_checkpoint names it).')
    return safe_torch_load(name, map_location=map_location)


def load_weights(model: Any, filename: str, strict: bool = False,
                 map_location: Optional[Any] = 'cpu',
                 revise_keys: Optional[list] = None) -> dict:
    """MMEngine's ``load_checkpoint(model, filename, ...)`` with the file read by
    :func:`load_checkpoint_file`; returns the checkpoint."""
    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'No state_dict found in checkpoint file {filename!r}: it holds a '
                           f'{type(checkpoint).__name__}, not a dict.')
    return _load_checkpoint_to_model(
        model, checkpoint, strict,
        revise_keys=[(r'^module\.', '')] if revise_keys is None else revise_keys)
