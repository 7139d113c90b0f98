"""Tiny CLIP weight files for tests and the quickstart, in every release format.

:func:`write_clip_file` saves a tiny model (random-initialised, or pre-trained on the quickstart
data by :mod:`mmopen.quickstart.tiny_pretrain`) in a real release format, so that tests and the
quickstart load weights through exactly the code path of real checkpoints
(``mmopen.clip.FrozenCLIP(model_name, weights=PATH)``). ``tools/misc/make_tiny_clip.py`` is its
command line.
"""
from typing import Callable, Optional

import torch
from torch import nn

from mmopen.clip.build import create_open_clip
from mmopen.utils.io import atomic_path
from .tiny_pretrain import pretrain_clip, quickstart_pairs

FORMATS = ('safetensors', 'bin', 'openai-jit', 'openai-state-dict')


def build_random_clip(model_name: str, seed: int, quick_gelu: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    return create_open_clip(model_name, quick_gelu).eval()


def _image_size(model: nn.Module):
    size = model.visual.image_size
    return size if isinstance(size, tuple) else (size, size)


def _save(model: nn.Module, path: str, fmt: str) -> None:
    if fmt == 'safetensors':
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    elif fmt == 'bin':
        torch.save(model.state_dict(), path)
    elif fmt == 'openai-state-dict':
        sd = dict(model.state_dict())
        sd['input_resolution'] = torch.tensor(_image_size(model)[0])
        sd['context_length'] = torch.tensor(model.context_length)
        sd['vocab_size'] = torch.tensor(model.vocab_size)
        torch.save(sd, path)
    else:
        image = torch.zeros(1, 3, *_image_size(model))
        text = torch.zeros(1, model.context_length, dtype=torch.long)
        with torch.no_grad():
            traced = torch.jit.trace(model, (image, text), check_trace=False, strict=False)
        traced.save(path)


def write_clip_file(model_name: str, out: str, fmt: str = 'safetensors', seed: int = 0,
                    pretrain_on: Optional[str] = None, steps: int = 300,
                    log: Optional[Callable[[str], None]] = None) -> str:
    """Write a ``model_name`` CLIP to ``out`` in format ``fmt``: random-initialised, or with
    ``pretrain_on`` (a quickstart data folder) contrastively pre-trained on it. The file is
    written atomically. Returns ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f'format {fmt!r} is not one of {FORMATS}')
    model = build_random_clip(model_name, seed, quick_gelu=fmt == 'openai-jit')
    if pretrain_on is not None:
        import open_clip
        pretrain_clip(model, open_clip.get_tokenizer(model_name),
                      quickstart_pairs(pretrain_on, size=_image_size(model)[0]), steps=steps,
                      seed=seed, log=log)
    with atomic_path(out) as tmp:
        _save(model, tmp, fmt)
    return out
