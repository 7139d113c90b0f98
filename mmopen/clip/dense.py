"""Dense (per-pixel / per-patch) image features of CLIP towers.

Two tower families are supported, the ones the papers use:

* timm ConvNeXt towers behind open_clip's ``TimmModel`` (``convnext_base_w``,
  ``convnext_large_d_320``): the four stage outputs (strides 4, 8, 16, 32) are the multi-scale
  features.
* open_clip ``VisionTransformer`` (``ViT-B-16``): the patch tokens of the chosen blocks (stride =
  patch size), with the positional embedding interpolated bicubically for other input sizes.

Besides the multi-scale features, :func:`dense_features` returns two maps of the last level:

* ``pool_features``: what the tower pools globally before its head (ConvNeXt: the last stage
  after ``norm_pre``; ViT: the last block's patch tokens, after ``ln_post`` unless the tower
  applies ``ln_post`` after pooling). Averaging it under a mask and mapping the average with
  :func:`pooled_to_embedding` (the tower's head: ConvNeXt ``trunk.head.norm`` + the open_clip
  projection, a linear layer or an MLP; ViT ``ln_post`` where it follows the pool, then
  ``proj``) is FC-CLIP's mask-pooled classification. For ConvNeXt towers and average-pooled
  ViTs, a full-image mask gives exactly ``encode_image`` (tests check this against open_clip);
  CLS-token ViTs (OpenAI ``ViT-B-16``) classify their CLS token, which no pooling of patch
  tokens reproduces: there the pooled patch tokens are mapped by the same head instead.
* ``embeddings``: the head applied at every position (``B x D x h x w``), for dense zero-shot
  use. The head is not linear, so pooling this map is *not* the same as pooling
  ``pool_features`` and applying the head; mask pooling uses the latter.
"""
from typing import List, NamedTuple, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn


class DenseFeatures(NamedTuple):
    """Multi-scale features (list of ``B x C_i x H_i x W_i``, fine to coarse), the stride of
    each, the per-position CLIP embeddings of the last level (``B x D x H x W``, not
    normalised), and the last level's features before the tower's head (``B x C x H x W``,
    what :func:`pooled_to_embedding` maps after pooling)."""
    features: List[torch.Tensor]
    strides: List[int]
    embeddings: torch.Tensor
    pool_features: torch.Tensor


def tower_type(visual: nn.Module) -> str:
    """``'convnext'`` or ``'vit'``; raises for towers mmopen has no dense path for."""
    from open_clip.timm_model import TimmModel
    from open_clip.transformer import VisionTransformer
    if isinstance(visual, TimmModel) and hasattr(visual.trunk, 'stages') and hasattr(
            visual.trunk, 'stem'):
        return 'convnext'
    if isinstance(visual, VisionTransformer):
        if getattr(visual, 'attn_pool', None) is not None:
            raise NotImplementedError('Dense features of attention-pooled ViT towers (CoCa) are '
                                      'not supported; use a ViT with token pooling.')
        return 'vit'
    raise NotImplementedError(
        f'Dense CLIP features are implemented for timm ConvNeXt and open_clip ViT towers, not '
        f'{type(visual).__name__}. Use e.g. convnext_base_w, convnext_large_d_320 or ViT-B-16.')


def level_channels(visual: nn.Module) -> List[int]:
    """Channels of each level returned by :func:`dense_features`."""
    if tower_type(visual) == 'convnext':
        return [int(info['num_chs']) for info in visual.trunk.feature_info]
    return [visual.transformer.width] * len(visual.transformer.resblocks)


def _convnext_head(visual: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply the tower head (norm + projection) along dim 1 of ``x`` (``B x C x ...``)."""
    x = visual.trunk.head.norm(x) if x.ndim == 4 else visual.trunk.head.norm(
        x[..., None, None])[..., 0, 0]
    x = x.movedim(1, -1)
    x = visual.head(x)
    return x.movedim(-1, 1)


def _vit_ln_after_pool(visual: nn.Module) -> bool:
    """Whether the ViT applies ``ln_post`` after pooling (else to every token before it)."""
    return bool(getattr(visual, 'final_ln_after_pool', False))


def _vit_proj(visual: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x @ visual.proj if visual.proj is not None else x


def _vit_pos_embed(visual: nn.Module, grid: Sequence[int]) -> torch.Tensor:
    pos = visual.positional_embedding
    cls_pos, patch_pos = pos[:1], pos[1:]
    gh0, gw0 = visual.grid_size
    if (gh0, gw0) == tuple(grid):
        return pos
    patch_pos = patch_pos.reshape(1, gh0, gw0, -1).permute(0, 3, 1, 2)
    patch_pos = F.interpolate(patch_pos.float(), size=tuple(grid), mode='bicubic',
                              align_corners=False).to(pos.dtype)
    patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(grid[0] * grid[1], -1)
    return torch.cat([cls_pos, patch_pos], dim=0)


def _vit_embed(visual: nn.Module, images: torch.Tensor):
    """The tokens entering the first block (CLS first, positions interpolated to the input
    size, ``ln_pre`` applied; ``B x (1 + h w) x C``) and ``(B, C, h, w)``."""
    x = visual.conv1(images)
    b, c, gh, gw = x.shape
    x = x.flatten(2).transpose(1, 2)
    cls = visual.class_embedding.to(x.dtype).expand(b, 1, -1)
    x = torch.cat([cls, x], dim=1) + _vit_pos_embed(visual, (gh, gw)).to(x.dtype)
    return visual.ln_pre(x), (b, c, gh, gw)


def _vit_dense(visual: nn.Module, images: torch.Tensor,
               out_indices: Optional[Sequence[int]]) -> DenseFeatures:
    n_blocks = len(visual.transformer.resblocks)
    indices = [n_blocks - 1] if out_indices is None else [i % n_blocks for i in out_indices]
    x, (b, c, gh, gw) = _vit_embed(visual, images)
    features = []
    transformer = visual.transformer
    if not transformer.batch_first:
        x = x.transpose(0, 1)
    for i, block in enumerate(transformer.resblocks):
        x = block(x)
        if i in indices:
            tokens = x if transformer.batch_first else x.transpose(0, 1)
            features.append(tokens[:, 1:].transpose(1, 2).reshape(b, c, gh, gw))
        if i >= max(indices):
            break
    if max(indices) < n_blocks - 1:
        for block in transformer.resblocks[max(indices) + 1:]:
            x = block(x)
    tokens = (x if transformer.batch_first else x.transpose(0, 1))[:, 1:]
    normed = visual.ln_post(tokens)
    pool = tokens if _vit_ln_after_pool(visual) else normed

    def to_map(t):
        return t.transpose(1, 2).reshape(b, -1, gh, gw)

    stride = visual.conv1.stride[0]
    return DenseFeatures(features, [stride] * len(features), to_map(_vit_proj(visual, normed)),
                         to_map(pool))


def _convnext_dense(visual: nn.Module, images: torch.Tensor,
                    out_indices: Optional[Sequence[int]]) -> DenseFeatures:
    trunk = visual.trunk
    n_stages = len(trunk.stages)
    indices = list(range(n_stages)) if out_indices is None else [i % n_stages
                                                                 for i in out_indices]
    x = trunk.stem(images)
    features, strides = [], []
    stride = 4
    for i, stage in enumerate(trunk.stages):
        x = stage(x)
        if i > 0:
            stride *= 2
        if i in indices:
            features.append(x)
            strides.append(stride)
    x = trunk.norm_pre(x)
    return DenseFeatures(features, strides, _convnext_head(visual, x), x)


def dense_features(visual: nn.Module, images: torch.Tensor,
                   out_indices: Optional[Sequence[int]] = None) -> DenseFeatures:
    """Dense features of a CLIP image tower.

    Args:
        visual: ``clip_model.visual`` of an open_clip model.
        images: ``B x 3 x H x W``, normalised with the CLIP mean/std; any size divisible by the
            tower's total stride (32 for ConvNeXt, the patch size for ViT).
        out_indices: ConvNeXt stages (default all four) or ViT blocks (default the last one)
            whose outputs are returned.
    """
    kind = tower_type(visual)
    if kind == 'convnext':
        return _convnext_dense(visual, images, out_indices)
    return _vit_dense(visual, images, out_indices)


def pooled_to_embedding(visual: nn.Module, pooled: torch.Tensor) -> torch.Tensor:
    """Map features averaged from ``pool_features`` (``... x C``, e.g. under a mask) into the
    CLIP embedding space (``... x D``) with the tower's own head, the way the tower maps its
    global pool (FC-CLIP's mask-pooled classification; see the module docstring)."""
    kind = tower_type(visual)
    shape = pooled.shape
    flat = pooled.reshape(-1, shape[-1])
    if kind == 'convnext':
        out = _convnext_head(visual, flat)
    else:
        out = _vit_proj(visual, visual.ln_post(flat) if _vit_ln_after_pool(visual) else flat)
    return out.reshape(*shape[:-1], out.shape[-1])
