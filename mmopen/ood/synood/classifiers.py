"""The classifier ``g`` whose OOD loss guides the inpainting (SynOOD eq. 7): a callable from
images (``B x 3 x H x W`` in ``[0, 1]``, float32) to logits (``B x C``), differentiable w.r.t.
the images. Two built-ins, chosen by ``type``:

* ``'clip'`` -- a zero-shot CLIP over the ID vocabulary (``logit_scale * cos``), e.g. the same
  CLIP the OOD detector uses;
* ``'mmpretrain'`` -- any mmpretrain classifier from its config and a local checkpoint (the
  paper: ImageNet ResNet-50, ``mmpretrain::resnet/resnet50_8xb32_in1k.py``).

Both resize the image to the classifier's input size and apply its mean / std themselves;
``mmpretrain`` can instead resize the shorter side and centre-crop (``resize=232,
input_size=224``: torchvision's ``ResNet50_Weights.IMAGENET1K_V2`` preset, which the SynOOD
release guides with).
"""
import os.path as osp
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmopen.clip import FrozenCLIP
from mmopen.clip.preprocess import clip_input_size, clip_normalise
from mmopen.compat.checkpoint import load_checkpoint_file


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    if images.shape[-2:] == (size, size):
        return images
    return F.interpolate(images, size=(size, size), mode='bilinear', align_corners=False,
                         antialias=images.shape[-1] > size)


def resize_centre_crop(images: torch.Tensor, resize: int, crop: int,
                       antialias: bool = True) -> torch.Tensor:
    """Bilinear resize of the shorter side to ``resize`` (the other side rounded down, as
    torchvision's ``Resize(int)``), then the central ``crop x crop`` window (the top-left
    offset rounded to nearest, as torchvision's ``CenterCrop``)."""
    if crop > resize:
        raise ValueError(f'crop={crop} is larger than resize={resize}: the crop must fit in '
                         'the resized image.')
    h, w = images.shape[-2:]
    if h <= w:
        size = (resize, int(resize * w / h))
    else:
        size = (int(resize * h / w), resize)
    if (h, w) != size:
        images = F.interpolate(images, size=size, mode='bilinear', align_corners=False,
                               antialias=antialias and min(h, w) > resize)
    top = int(round((size[0] - crop) / 2.0))
    left = int(round((size[1] - crop) / 2.0))
    return images[..., top:top + crop, left:left + crop]


class CLIPLogits(nn.Module):
    """Zero-shot CLIP logits over a vocabulary (prompt-ensembled text embeddings); ``clip`` is
    ``FrozenCLIP`` arguments or a built ``FrozenCLIP`` (shared, e.g. with the label miner)."""

    def __init__(self, clip, vocabulary: Union[str, Sequence],
                 templates: Union[str, Sequence[str]] = ('the nice {}', ),
                 input_size: Optional[int] = None):
        super().__init__()
        self.clip = clip if isinstance(clip, FrozenCLIP) else FrozenCLIP(**clip)
        self.register_buffer('text', self.clip.text_embeddings(vocabulary, templates))
        self.input_size = int(input_size or clip_input_size(self.clip))

    @property
    def num_classes(self) -> int:
        return self.text.shape[0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = clip_normalise(_resize(images.float(), self.input_size))
        model = self.clip.model  # not FrozenCLIP.encode_image: it runs without gradients
        feats = F.normalize(model.encode_image(x.to(self.clip.dtype)).float(), dim=-1)
        return self.clip.logit_scale().float() * feats @ self.text.float().T


def _checkpoint_num_classes(state: dict) -> Optional[int]:
    """Rows of the last 2-D ``*head*`` weight in a checkpoint's state dict."""
    rows = [v.shape[0] for k, v in state.items()
            if 'head' in k and k.endswith('weight') and getattr(v, 'ndim', 0) == 2]
    return rows[-1] if rows else None


class MMPretrainLogits(nn.Module):
    """An mmpretrain image classifier built from its config, weights from a local checkpoint.

    The image is resized to ``input_size`` (squashed, the default), or, with ``resize``, its
    shorter side resized to ``resize`` and the centre ``input_size`` square cropped
    (:func:`resize_centre_crop`; the SynOOD release: 232 then 224, antialiased).
    """

    def __init__(self, config: str, checkpoint: str, input_size: int = 224,
                 resize: Optional[int] = None, antialias: bool = True):
        super().__init__()
        from mmengine.config import Config
        from mmengine.runner.checkpoint import _load_checkpoint_to_model
        from mmpretrain.registry import MODELS
        for what, path in (('config', config), ('checkpoint', checkpoint)):
            if not str(path).startswith('mmpretrain::') and not osp.isfile(path):
                raise FileNotFoundError(f'Guidance classifier {what} {path!r} not found.')
        if '::' in str(config):  # a config of an installed package, e.g. mmpretrain::resnet/...
            from mmengine.hub import get_config
            cfg = get_config(config)
        else:
            cfg = Config.fromfile(config)
        model_cfg = cfg.model
        num_classes = model_cfg.get('head', {}).get('num_classes')
        checkpoint_dict = load_checkpoint_file(checkpoint, map_location='cpu')
        state = checkpoint_dict.get('state_dict', checkpoint_dict)
        found = _checkpoint_num_classes(state)
        if num_classes is not None and found is not None and found != num_classes:
            raise ValueError(f'Classifier checkpoint {checkpoint!r} has {found} classes but its '
                             f'config {config!r} builds {num_classes}: use the checkpoint '
                             'trained with this config (or set model.head.num_classes).')
        model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
        self.model = MODELS.build(model_cfg)
        _load_checkpoint_to_model(self.model, checkpoint_dict, strict=True)
        self.model.eval().requires_grad_(False)
        pre = self.model.data_preprocessor
        mean = getattr(pre, 'mean', None)
        std = getattr(pre, 'std', None)
        mean = mean.view(1, 3, 1, 1) / 255 if mean is not None else torch.zeros(1, 3, 1, 1)
        std = std.view(1, 3, 1, 1) / 255 if std is not None else torch.ones(1, 3, 1, 1)
        self.register_buffer('mean', mean.float().clone())
        self.register_buffer('std', std.float().clone())
        self.input_size = input_size
        if resize is not None and resize < input_size:
            raise ValueError(f'resize={resize} is smaller than input_size={input_size}: the '
                             'centre crop must fit in the resized image.')
        self.resize = resize
        self.antialias = antialias
        self.num_classes = num_classes or found

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.resize is None:
            x = _resize(images.float(), self.input_size)
        else:
            x = resize_centre_crop(images.float(), self.resize, self.input_size, self.antialias)
        x = (x - self.mean) / self.std
        return self.model(x, mode='tensor')


def build_guidance_classifier(cfg: Union[dict, nn.Module]) -> nn.Module:
    """``dict(type='clip', clip=..., vocabulary=..., templates=...)`` or
    ``dict(type='mmpretrain', config=..., checkpoint=..., input_size=224[, resize=232])``."""
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg)
    kind = cfg.pop('type', None)
    if kind == 'clip':
        model = CLIPLogits(**cfg)
    elif kind == 'mmpretrain':
        model = MMPretrainLogits(**cfg)
    else:
        raise ValueError(f"Guidance classifier type {kind!r}: 'clip' or 'mmpretrain'.")
    return model.eval()
