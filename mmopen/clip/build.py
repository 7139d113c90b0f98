"""Building a CLIP by open_clip model name with weights from a local file."""
import contextlib
import logging
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from .constants import TINY_MODELS
from .tiny import register_tiny_models
from .weights import CLIPWeightsError, expected_file_hint, looks_like_openai, read_state_dict

PRECISIONS = ('fp32', 'fp16', 'bf16')
logger = logging.getLogger(__name__)


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


def model_config(model_name: str) -> dict:
    """open_clip's architecture config of ``model_name`` (mmopen's tiny models included), e.g.
    ``model_config('convnext_base_w')['embed_dim'] == 640``; a clear error for unknown names."""
    import open_clip
    register_tiny_models()
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise ValueError(f'Unknown open_clip model {model_name!r}. Known models include '
                         f'ViT-B-16, convnext_base_w, convnext_large_d_320 and mmopen\'s tiny '
                         f'ones {list(TINY_MODELS)}; see open_clip.list_models().')
    return cfg


def create_open_clip(model_name: str, quick_gelu: bool = False) -> nn.Module:
    """open_clip's ``create_model`` for ``model_name`` (mmopen's tiny models included) with
    random weights, fp32, on the CPU."""
    import open_clip
    model_config(model_name)
    with quiet_open_clip():
        return open_clip.create_model(
            model_name, pretrained=None, precision='fp32', device='cpu',
            force_quick_gelu=quick_gelu, pretrained_image=False, pretrained_text=False)


def _format_mismatch(err: str, limit: int = 3) -> str:
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    return ' '.join(lines[1:1 + limit]) if len(lines) > 1 else err


def load_clip_weights(model: nn.Module,
                      model_name: str,
                      path: str,
                      state: Optional[Tuple[Dict[str, torch.Tensor], str]] = None) -> str:
    """Load a weight file into an open_clip model, with open_clip's own conversions (positional
    embedding resizing, custom-text layouts). ``state`` is ``read_state_dict``'s result when the
    caller has already read the file. Returns the file format."""
    from open_clip.factory import convert_state_dict, convert_to_custom_text_state_dict
    from open_clip.model import resize_pos_embed, resize_text_pos_embed

    state_dict, fmt = state if state is not None else read_state_dict(path, model_name)
    try:
        state_dict = convert_state_dict(model, state_dict)
        if 'positional_embedding' in state_dict and not hasattr(model, 'positional_embedding'):
            state_dict = convert_to_custom_text_state_dict(state_dict)
        if ('logit_scale' in state_dict
                and model.logit_scale.ndim != state_dict['logit_scale'].ndim):
            state_dict['logit_scale'] = state_dict['logit_scale'].reshape(model.logit_scale.shape)
        if getattr(model, 'logit_bias', None) is not None and 'logit_bias' not in state_dict:
            state_dict['logit_bias'] = torch.zeros_like(model.logit_bias)
        resize_pos_embed(state_dict, model)
        resize_text_pos_embed(state_dict, model)
    except Exception as e:
        raise CLIPWeightsError(
            f'CLIP weight file {path!r} does not fit the open_clip model {model_name!r} '
            f'({type(e).__name__}: {e}). {expected_file_hint(model_name)}') from None
    expected = model.state_dict()
    # Buffers the model does not persist (open_clip's text ``attn_mask``) are rebuilt, not read;
    # TorchScript archives save them anyway.
    transient = {name for name, _ in model.named_buffers()} - set(expected)
    state_dict = {k: v for k, v in state_dict.items() if k not in transient}
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [f'{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}'
             for k, v in expected.items() if k in state_dict and state_dict[k].shape != v.shape]
    if missing or unexpected or wrong:
        def some(keys):
            return ', '.join(keys[:3]) + (', ...' if len(keys) > 3 else '')

        parts = []
        if missing:
            parts.append(f'{len(missing)} parameters missing ({some(missing)})')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected ({some(unexpected)})')
        if wrong:
            parts.append(f'{len(wrong)} with other shapes (file vs model: {some(wrong)})')
        raise CLIPWeightsError(
            f'CLIP weight file {path!r} is not for the open_clip model {model_name!r}: '
            + '; '.join(parts) + '. Is it the checkpoint of another model? '
            + expected_file_hint(model_name))
    model.load_state_dict(state_dict, strict=True)
    return fmt


def build_open_clip(model_name: str,
                    weights: Optional[str] = None,
                    precision: str = 'fp32',
                    quick_gelu: Optional[bool] = None,
                    device: str = 'cpu') -> Tuple[nn.Module, Dict]:
    """Build an open_clip model by name and load its weights from a local file.

    Args:
        model_name: an open_clip model name (``'ViT-B-16'``, ``'convnext_base_w'``,
            ``'convnext_large_d_320'``, ...) or one of mmopen's tiny models.
        weights: path of an open_clip ``.bin``/``.safetensors`` or OpenAI ``.pt`` file. ``None``
            keeps the random initialisation (tests only; a warning says so).
        precision: ``'fp32'``, ``'fp16'`` or ``'bf16'``.
        quick_gelu: QuickGELU activations (OpenAI's original weights need them). ``None``
            turns it on for OpenAI TorchScript files and off otherwise.

    Returns:
        ``(model, info)`` with ``info = dict(model_name, weights, format, quick_gelu)``.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision={precision!r} is not supported: use one of {PRECISIONS}.')
    model_config(model_name)
    state = None
    if weights is not None:
        weights = osp.expanduser(str(weights))
        state = read_state_dict(weights, model_name)
        if quick_gelu is None:  # OpenAI TorchScript files were trained with QuickGELU
            quick_gelu = looks_like_openai(state[1])
    quick_gelu = bool(quick_gelu)
    model = create_open_clip(model_name, quick_gelu)
    state_fmt = None
    if state is not None:
        state_fmt = load_clip_weights(model, model_name, weights, state)
        del state
    else:
        logger.warning('CLIP %s built with random weights (no weight file given).', model_name)
    if precision == 'fp16':
        model = model.half()
    elif precision == 'bf16':
        model = model.bfloat16()
    model = model.to(device)
    info = dict(model_name=model_name, weights=weights, format=state_fmt, quick_gelu=quick_gelu)
    return model, info
