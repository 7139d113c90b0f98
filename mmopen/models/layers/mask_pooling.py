"""Mask pooling of dense CLIP features (as FC-CLIP)."""
import torch
import torch.nn.functional as F


def mask_pool(features: torch.Tensor, mask_logits: torch.Tensor, mode: str = 'binary',
              eps: float = 1e-6) -> torch.Tensor:
    """Average ``features`` (``B x C x H x W``) under each mask (``B x Q x h x w`` logits,
    resized to ``H x W``): ``einsum('bchw,bqhw->bqc') / area``. ``mode='binary'`` uses the
    masks binarised at logit > 0 (no gradient to the masks); ``'sigmoid'`` weights by
    ``sigmoid(logit)``. An empty mask pools to zeros. Returns ``B x Q x C``."""
    if mask_logits.shape[-2:] != features.shape[-2:]:
        mask_logits = F.interpolate(mask_logits, size=features.shape[-2:], mode='bilinear',
                                    align_corners=False)
    if mode == 'binary':
        weights = (mask_logits > 0).to(features.dtype)
    elif mode == 'sigmoid':
        weights = mask_logits.sigmoid().to(features.dtype)
    else:
        raise ValueError(f"mask_pool mode={mode!r}: use 'binary' or 'sigmoid'.")
    pooled = torch.einsum('bchw,bqhw->bqc', features, weights)
    area = weights.sum(dim=(2, 3)).unsqueeze(-1)
    return pooled / area.clamp(min=eps)
