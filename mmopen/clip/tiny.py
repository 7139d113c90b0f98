"""Tiny CLIP architectures for tests and the quickstart.

They are registered with open_clip under the names in :data:`TINY_MODELS`, so that they are built,
saved and loaded through exactly the code path of the real models (``ViT-B-16``,
``convnext_base_w``, ...). ``mmopen-tiny-convnext`` is a timm ConvNeXt tower (registered in timm
as ``mmopen_convnext_tiny``: depths 1-1-1-1, widths 16-32-48-64) behind open_clip's
``TimmModel`` adapter, like ``convnext_base_w``; ``mmopen-tiny-vit`` is open_clip's own
``VisionTransformer`` (2 layers, width 32, patch 8), like ``ViT-B-16``.

:func:`write_clip_file` saves a random-initialised model in a real release format
(``tools/misc/make_tiny_clip.py`` is its command line), so that tests load weights through the
same path as real checkpoints.
"""
import contextlib
import logging
import os
import os.path as osp
from typing import Tuple

import torch

TINY_MODELS: Tuple[str, ...] = ('mmopen-tiny-vit', 'mmopen-tiny-convnext')
_REGISTERED = False


class _DropRandomInitWarning(logging.Filter):
    """open_clip warns "No pretrained weights loaded ... initialized randomly" whenever it
    builds a model without a checkpoint tag; mmopen always loads the weights itself afterwards."""

    def filter(self, record: logging.LogRecord) -> bool:
        return 'No pretrained weights loaded' not in record.getMessage()


@contextlib.contextmanager
def quiet_open_clip():
    root = logging.getLogger()
    flt = _DropRandomInitWarning()
    root.addFilter(flt)
    try:
        yield
    finally:
        root.removeFilter(flt)


def _register_timm_tower() -> None:
    from timm.models import register_model
    from timm.models._registry import is_model
    from timm.models.convnext import _create_convnext

    if is_model('mmopen_convnext_tiny'):
        return

    @register_model
    def mmopen_convnext_tiny(pretrained: bool = False, **kwargs):
        model_args = dict(depths=(1, 1, 1, 1), dims=(16, 32, 48, 64))
        # no released weights: an explicit pretrained_cfg (input size, pool size) instead
        if kwargs.get('pretrained_cfg') is None:
            kwargs['pretrained_cfg'] = dict(input_size=(3, 32, 32), pool_size=(1, 1),
                                            num_classes=0, architecture='mmopen_convnext_tiny')
        return _create_convnext(
            'mmopen_convnext_tiny', pretrained=pretrained, **dict(model_args, **kwargs))


def register_tiny_models() -> None:
    """Make the tiny architectures known to open_clip (and timm). Idempotent."""
    global _REGISTERED
    if _REGISTERED:
        return
    import open_clip
    _register_timm_tower()
    open_clip.add_model_config(osp.join(osp.dirname(__file__), 'model_configs'))
    _REGISTERED = True


FORMATS = ('safetensors', 'bin', 'openai-jit', 'openai-state-dict')


def build_random_clip(model_name: str, seed: int, quick_gelu: bool = False):
    import open_clip
    register_tiny_models()
    torch.manual_seed(seed)
    with quiet_open_clip():
        model = open_clip.create_model(model_name, pretrained=None, force_quick_gelu=quick_gelu,
                                       pretrained_image=False, pretrained_text=False)
    return model.eval()


def write_clip_file(model_name: str, out: str, fmt: str = 'safetensors', seed: int = 0,
                    pretrain_on: str = None, steps: int = 300, log=None) -> str:
    """Write a ``model_name`` CLIP to ``out`` in format ``fmt``: random-initialised, or with
    ``pretrain_on`` (a quickstart data folder) contrastively pre-trained on it (see
    :mod:`mmopen.clip.tiny_pretrain`). Returns ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f'format {fmt!r} is not one of {FORMATS}')
    model = build_random_clip(model_name, seed, quick_gelu=fmt == 'openai-jit')
    if pretrain_on is not None:
        import open_clip

        from .tiny_pretrain import pretrain_clip, quickstart_pairs
        images, captions = quickstart_pairs(pretrain_on, size=model.visual.image_size[0]
                                            if isinstance(model.visual.image_size, tuple)
                                            else model.visual.image_size)
        pretrain_clip(model, open_clip.get_tokenizer(model_name), images, captions,
                      steps=steps, seed=seed, log=log)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = f'{out}.{os.getpid()}.tmp'
    try:
        if fmt == 'safetensors':
            from safetensors.torch import save_file
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, tmp)
        elif fmt == 'bin':
            torch.save(model.state_dict(), tmp)
        elif fmt == 'openai-state-dict':
            sd = dict(model.state_dict())
            size = model.visual.image_size
            sd['input_resolution'] = torch.tensor(size[0] if isinstance(size, tuple) else size)
            sd['context_length'] = torch.tensor(model.context_length)
            sd['vocab_size'] = torch.tensor(model.vocab_size)
            torch.save(sd, tmp)
        else:
            size = model.visual.image_size
            size = size if isinstance(size, tuple) else (size, size)
            image = torch.zeros(1, 3, *size)
            text = torch.zeros(1, model.context_length, dtype=torch.long)
            with torch.no_grad():
                traced = torch.jit.trace(model, (image, text), check_trace=False, strict=False)
            traced.save(tmp)
        os.replace(tmp, out)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return out
