"""A simple feature pyramid for single-stride CLIP ViT towers (ViTDet, Li et al. 2022)."""
from typing import Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import nn


@MODELS.register_module()
class CLIPSimpleFeaturePyramid(BaseModule):
    """Turn a ViT's patch tokens (one stride) into a multi-scale pyramid for Mask2Former-style
    heads: for each target stride, transposed convolutions (up), identity, or max pooling
    (down), then a 1x1 and a 3x3 convolution with GroupNorm.

    Input: the outputs of ``CLIPDenseBackbone`` on a ViT tower -- the chosen blocks' token maps
    (all at ``in_stride``; the last one is used) and, after them, ``num_extra`` maps the head
    reads directly (e.g. the pooling features of ``with_pool_features=True``), which are passed
    through unchanged.

    Args:
        in_channels: ViT width.
        out_channels: channels of every pyramid level.
        in_stride: the patch size.
        strides: target strides (default 4, 8, 16, 32).
        num_extra: how many trailing inputs are passed through (default 1).
    """

    def __init__(self, in_channels: int, out_channels: int, in_stride: int = 16,
                 strides: Sequence[int] = (4, 8, 16, 32), num_extra: int = 1,
                 num_groups: int = 8, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_extra = num_extra
        self.levels = nn.ModuleList()
        for s in strides:
            layers = []
            ch = in_channels
            if s < in_stride:
                factor = in_stride // s
                if factor * s != in_stride or factor & (factor - 1):
                    raise ValueError(f'stride {s} must be in_stride / 2^k (in_stride '
                                     f'{in_stride}).')
                while factor > 1:
                    layers += [nn.ConvTranspose2d(ch, ch // 2, 2, stride=2),
                               nn.GroupNorm(min(num_groups, ch // 2), ch // 2), nn.GELU()]
                    ch //= 2
                    factor //= 2
                layers = layers[:-2] if layers else layers  # no norm/act after the last up
            elif s > in_stride:
                factor = s // in_stride
                layers.append(nn.MaxPool2d(factor, stride=factor))
            layers += [nn.Conv2d(ch, out_channels, 1), nn.GroupNorm(num_groups, out_channels),
                       nn.Conv2d(out_channels, out_channels, 3, padding=1),
                       nn.GroupNorm(num_groups, out_channels)]
            self.levels.append(nn.Sequential(*layers))

    def forward(self, inputs: Tuple[torch.Tensor, ...]) -> Tuple[torch.Tensor, ...]:
        inputs = list(inputs)
        split = len(inputs) - self.num_extra
        extra = inputs[split:]
        x = inputs[split - 1]
        return tuple(level(x) for level in self.levels) + tuple(extra)
