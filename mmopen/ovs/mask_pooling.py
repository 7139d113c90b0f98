"""Mask pooling of dense CLIP features (as FC-CLIP)."""
import torch
import torch.nn.functional as F


def mask_pool(features: torch.Tensor, mask_logits: torch.Tensor, mode: str = 'binary',
              at: str = 'features', eps: float = 1e-6) -> torch.Tensor:
    """Average ``features`` (``B x C x H x W``) under each mask (``B x Q x h x w`` logits):
    ``einsum('bchw,bqhw->bqc', features, masks / area)``. Returns ``B x Q x C``, finite in
    fp16 for any map size (the masks are divided by their fp32 areas before the sum).

    Args:
        mode: ``'binary'`` weighs by the masks binarised at logit > 0 (FC-CLIP; no gradient to
            the masks), ``'sigmoid'`` by ``sigmoid(logit)``. An empty mask pools to zeros.
        at: ``'features'`` resizes the mask logits (bilinear) to the feature map, as FC-CLIP;
            ``'masks'`` resizes the features to the masks instead, which keeps masks smaller
            than a feature cell non-empty when the feature map is very coarse (a CLIP at stride
            32 on small images), at the memory cost of a ``C x h x w`` map per image.
    """
    if at == 'masks':
        if mask_logits.shape[-2:] != features.shape[-2:]:
            features = F.interpolate(features, size=mask_logits.shape[-2:], mode='bilinear',
                                     align_corners=False)
    elif at != 'features':
        raise ValueError(f"mask_pool at={at!r}: use 'features' or 'masks'.")
    elif mask_logits.shape[-2:] != features.shape[-2:]:
        mask_logits = F.interpolate(mask_logits, size=features.shape[-2:], mode='bilinear',
                                    align_corners=False)
    if mode == 'binary':
        weights = (mask_logits > 0).to(features.dtype)
    elif mode == 'sigmoid':
        weights = mask_logits.sigmoid().to(features.dtype)
    else:
        raise ValueError(f"mask_pool mode={mode!r}: use 'binary' or 'sigmoid'.")
    # Divide the masks by their areas before the sum, as FC-CLIP, and count the areas in fp32:
    # in fp16 (AMP) a sum of features over a mask overflows 65504 (features of 120 over 32 x 32
    # cells), and so does the area of a mask over 256 x 256 cells (``at='masks'`` at 1024^2).
    area = weights.sum(dim=(2, 3), keepdim=True, dtype=torch.float32)
    weights = (weights.float() / area.clamp(min=eps)).to(features.dtype)
    return torch.einsum('bchw,bqhw->bqc', features, weights)
