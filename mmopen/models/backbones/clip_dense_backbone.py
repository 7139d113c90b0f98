"""A frozen CLIP image tower as an MMSegmentation / MMPretrain backbone."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from mmopen.clip import FrozenCLIP


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class CLIPDenseBackbone(BaseModule):
    """Dense features of a (frozen) CLIP image tower, built by open_clip model name with
    weights from a local file (see :class:`mmopen.clip.FrozenCLIP`).

    ``forward`` returns the multi-scale features of ``out_indices`` (ConvNeXt: stages at
    strides 4/8/16/32; ViT: blocks at the patch stride), followed, if ``with_embeddings``, by
    the per-position CLIP-space embedding map of the last level, and then, if
    ``with_pool_features``, by the last level's features before the tower's head (what
    FC-CLIP-style mask pooling averages; see :mod:`mmopen.clip.dense`).

    The CLIP weights are loaded when the backbone is built; ``init_weights`` never re-initialises
    them, so a Runner's weight initialisation keeps the pretrained tower.

    Args:
        model_name: open_clip model name, e.g. ``'convnext_base_w'`` or
            ``'mmopen-tiny-convnext'``.
        weights: local CLIP weight file (``None``: random, tests only).
        out_indices: stages / blocks to return (default: all ConvNeXt stages, last ViT block).
        with_embeddings: append the CLIP embedding map to the outputs.
        with_pool_features: append the last level's pre-head features (OVSNet's mask
            pooling reads them).
        precision: ``'fp32'`` / ``'fp16'`` / ``'bf16'``.
        frozen: freeze the tower (default). The paper settings keep CLIP frozen.
    """

    def __init__(self,
                 model_name: str,
                 weights: Optional[str] = None,
                 out_indices: Optional[Sequence[int]] = None,
                 with_embeddings: bool = False,
                 with_pool_features: bool = False,
                 precision: str = 'fp32',
                 frozen: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.clip = FrozenCLIP(model_name, weights, precision=precision, frozen=frozen)
        self.out_indices = None if out_indices is None else tuple(out_indices)
        self.with_embeddings = with_embeddings
        self.with_pool_features = with_pool_features

    def init_weights(self) -> None:
        # The tower's weights come from its CLIP file: do not let child modules re-initialise.
        self._is_init = True

    @property
    def clip_model(self) -> FrozenCLIP:
        return self.clip

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        dense = self.clip.dense_features(x, self.out_indices)
        outs = [f.float() for f in dense.features]
        if self.with_embeddings:
            outs.append(dense.embeddings.float())
        if self.with_pool_features:
            outs.append(dense.pool_features.float())
        return tuple(outs)
