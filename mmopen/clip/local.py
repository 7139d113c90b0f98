"""Global and local (per-patch) CLIP image embeddings from one forward pass, for GL-MCM.

GL-MCM (Miyai et al., 2023) scores an image with its global embedding and with the embedding of
every patch. Local embeddings are built as the GL-MCM release builds them:

* ViT towers: the **value path of the last block**. For every token ``x`` entering the last
  block, ``v = x + ls_1(out_proj(W_v ln_1(x) + b_v))`` and ``v = v + ls_2(mlp(ln_2(v)))``, i.e.
  the block with each token attending only to itself; the patch tokens of ``v`` then go through
  ``ln_post`` and ``proj``. The global embedding is the tower's own (CLS or pooled) output of the
  same pass.
* ConvNeXt towers: the tower's head (``trunk.head.norm`` + projection) at every position of the
  last stage (:attr:`mmopen.clip.DenseFeatures.embeddings`); the global embedding is the head on
  the spatial mean of the same features, which is ``encode_image``.

Neither is normalised here.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .dense import (_convnext_dense, _convnext_head, _vit_embed, _vit_proj, pooled_to_embedding,
                    tower_type)


def _vit_global_and_local(visual: nn.Module,
                          images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    x, (_, c, _, _) = _vit_embed(visual, images)
    transformer = visual.transformer
    blocks = transformer.resblocks
    if not transformer.batch_first:
        x = x.transpose(0, 1)
    for block in blocks[:-1]:
        x = block(x)
    last = blocks[-1]
    tokens = x if transformer.batch_first else x.transpose(0, 1)  # B x L x C
    w_v = last.attn.in_proj_weight[2 * c:]
    b_v = last.attn.in_proj_bias[2 * c:] if last.attn.in_proj_bias is not None else None
    v = last.attn.out_proj(F.linear(last.ln_1(tokens), w_v, b_v))
    v = tokens + last.ls_1(v)
    v = v + last.ls_2(last.mlp(last.ln_2(v)))
    local = _vit_proj(visual, visual.ln_post(v[:, 1:]))
    x = last(x)
    pooled, _ = visual._pool(x if transformer.batch_first else x.transpose(0, 1))
    return _vit_proj(visual, pooled), local


def global_and_local(visual: nn.Module,
                     images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(B x D global embeddings, B x P x D local embeddings)`` of ``clip_model.visual``
    (``P`` = patches / positions of the last level), both unnormalised."""
    if tower_type(visual) == 'convnext':
        dense = _convnext_dense(visual, images, out_indices=[-1])
        glob = pooled_to_embedding(visual, dense.pool_features.mean(dim=(2, 3)))
        local = _convnext_head(visual, dense.pool_features)
        return glob, local.flatten(2).transpose(1, 2)
    return _vit_global_and_local(visual, images)
