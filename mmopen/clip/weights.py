"""Reading CLIP weights from local files.

Three formats are read, whatever the file extension says:

* safetensors (open_clip ``open_clip_model.safetensors``),
* TorchScript archives (OpenAI's released ``ViT-B-16.pt``: a JIT model whose ``state_dict`` has
  the OpenAI key names, which open_clip's ``CLIP`` class shares),
* ``torch.save`` pickles of a state dict (open_clip ``open_clip_pytorch_model.bin``, OpenAI
  state dicts, training checkpoints with a ``state_dict`` entry), read with
  ``weights_only=True``.

Every failure raises :class:`CLIPWeightsError`, which names the path, the model and what file
was expected.
"""
import hashlib
import json
import os
import os.path as osp
import pickle
import zipfile
from typing import Dict, Optional, Tuple

import torch

from mmopen.compat.checkpoint import torch_reason, unsafe_globals
from mmopen.utils.io import write_json_atomic
from .text import default_cache_dir

# Keys OpenAI's checkpoints carry that are not parameters.
OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')


class CLIPWeightsError(RuntimeError):
    """A CLIP weight file is missing, unreadable, or for another model."""


def expected_file_hint(model_name: str) -> str:
    return (f'Expected a local weight file of the open_clip model {model_name!r}: an open_clip '
            'checkpoint (.bin / .safetensors, e.g. open_clip_pytorch_model.bin) or an OpenAI '
            'CLIP .pt file (TorchScript or state dict). This machine set-up cannot download '
            'weights; put the file on disk and pass its path.')


def _is_safetensors(path: str) -> bool:
    with open(path, 'rb') as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], 'little')
    return 0 < n < 100_000_000 and head[8:9] == b'{'


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile:
        return False
    return any(n.split('/', 1)[-1] == 'constants.pkl' or '/code/' in n for n in names)


def read_state_dict(path: str, model_name: str) -> Tuple[Dict[str, torch.Tensor], str]:
    """Return ``(state_dict, fmt)`` from a CLIP weight file; ``fmt`` is one of
    ``'safetensors'``, ``'torchscript'``, ``'state_dict'``."""
    path = osp.expanduser(str(path))
    hint = expected_file_hint(model_name)
    if not osp.exists(path):
        raise CLIPWeightsError(f'CLIP weight file {path!r} does not exist (model '
                               f'{model_name!r}). {hint}')
    if not osp.isfile(path):
        raise CLIPWeightsError(f'CLIP weight path {path!r} is not a file (model '
                               f'{model_name!r}). {hint}')
    try:
        if _is_safetensors(path):
            from safetensors.torch import load_file
            return load_file(path, device='cpu'), 'safetensors'
        if _is_torchscript(path):
            jit_model = torch.jit.load(path, map_location='cpu')
            sd = {k: v for k, v in jit_model.state_dict().items() if k not in OPENAI_EXTRA_KEYS}
            return sd, 'torchscript'
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        if unsafe_globals(e):
            raise CLIPWeightsError(
                f'CLIP weight file {path!r} holds pickled objects other than tensors '
                f'({", ".join(unsafe_globals(e))}), so it was not loaded (model '
                f'{model_name!r}): unpickling them could run arbitrary code. {hint}') from None
        size = osp.getsize(path)
        raise CLIPWeightsError(
            f'Could not read CLIP weight file {path!r} ({size} bytes) for model '
            f'{model_name!r}: the file is truncated or corrupt ({torch_reason(e)}). Download or '
            f'copy it again. {hint}') from None
    except Exception as e:  # truncated zip, bad header, ...
        size = osp.getsize(path)
        raise CLIPWeightsError(
            f'Could not read CLIP weight file {path!r} ({size} bytes) for model '
            f'{model_name!r}: the file is truncated or corrupt ({type(e).__name__}: '
            f'{str(e).splitlines()[0] if str(e) else ""}). Download or copy it again. '
            f'{hint}') from None
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model'):
            if key in ckpt and isinstance(ckpt[key], dict):
                ckpt = ckpt[key]
                break
    if not isinstance(ckpt, dict) or not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CLIPWeightsError(
            f'CLIP weight file {path!r} does not hold a state dict of tensors (found '
            f'{type(ckpt).__name__}) for model {model_name!r}. {hint}')
    sd = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in ckpt.items()}
    sd = {k: v for k, v in sd.items() if k not in OPENAI_EXTRA_KEYS}
    return sd, 'state_dict'


def looks_like_openai(fmt: str) -> bool:
    """OpenAI CLIP weights (TorchScript files) were trained with QuickGELU."""
    return fmt == 'torchscript'


_DIGESTS: Dict[Tuple[str, int, int], str] = {}


def _digest_index_path() -> str:
    return osp.join(default_cache_dir(), 'weights_digests.json')


def file_digest(path: str) -> str:
    """SHA-256 of a file, memoised in-process and on disk by (real path, size, mtime)."""
    real = osp.realpath(path)
    st = os.stat(real)
    key = (real, st.st_size, st.st_mtime_ns)
    if key in _DIGESTS:
        return _DIGESTS[key]
    index_path = _digest_index_path()
    index_key = f'{real}|{st.st_size}|{st.st_mtime_ns}'
    index: Dict[str, str] = {}
    if osp.isfile(index_path):
        try:
            with open(index_path) as f:
                index = json.load(f)
        except (OSError, ValueError):
            index = {}
    digest: Optional[str] = index.get(index_key)
    if digest is None:
        h = hashlib.sha256()
        with open(real, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 22), b''):
                h.update(chunk)
        digest = h.hexdigest()
        index[index_key] = digest
        try:
            write_json_atomic(index, index_path)
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    _DIGESTS[key] = digest
    return digest


def state_dict_digest(state_dict: Dict[str, torch.Tensor]) -> str:
    """SHA-256 over parameter names and values (for models built without a weight file)."""
    h = hashlib.sha256()
    for k in sorted(state_dict):
        v = state_dict[k].detach().cpu().contiguous()
        h.update(k.encode())
        h.update(str(v.dtype).encode())
        h.update(str(tuple(v.shape)).encode())
        h.update(v.reshape(-1).view(torch.uint8).numpy().tobytes() if v.numel() else b'')
    return h.hexdigest()
