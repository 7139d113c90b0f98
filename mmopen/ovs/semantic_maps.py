"""Semantic label maps over large vocabularies without a ``C x H x W`` tensor (Mask2Former's
semantic inference and mmseg's post-processing, chunked over classes)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def chunked_semantic_argmax(probs: Tensor, mask_logits: Tensor, input_size: Sequence[int],
                            padding: Sequence[int], ori_shape: Sequence[int],
                            flip: Optional[str] = None, chunk: int = 64,
                            align_corners: bool = False) -> Tensor:
    """The label map of Mask2Former's semantic inference followed by mmseg's post-processing,
    without a ``C x H x W`` tensor.

    Mask2Former upsamples the mask logits (``Q x h x w``) to the padded input size, applies the
    sigmoid and forms ``logits_c = sum_q probs[q, c] sigmoid(mask_q)``; mmseg then crops the
    padding, undoes a flip, resizes to the original shape (bilinear) and takes the argmax. The
    class sum, the crop, the flip and the bilinear resize all act on each class channel alone,
    so computing them ``chunk`` classes at a time gives the same map with memory
    ``O((Q + chunk) x H x W)`` instead of ``O(C x H x W)``; only rounding differs (the class sum
    of a chunk may be reduced in another order than over all classes), which can flip pixels
    whose two best classes tie to ~1e-6. Returns ``1 x H x W`` (long).

    Args:
        probs: ``Q x C`` class probabilities of the queries.
        mask_logits: ``Q x h x w`` mask logits.
        padding: ``(left, right, top, bottom)`` padding of the input.
    """
    masks = F.interpolate(mask_logits[None].float(), size=tuple(input_size), mode='bilinear',
                          align_corners=False)[0].sigmoid()
    left, right, top, bottom = padding
    h, w = masks.shape[-2:]
    masks = masks[:, top:h - bottom, left:w - right]
    if flip == 'horizontal':
        masks = masks.flip(dims=(2, ))
    elif flip == 'vertical':
        masks = masks.flip(dims=(1, ))
    probs = probs.float()
    best_val = best_idx = None
    for start in range(0, probs.shape[1], chunk):
        part = torch.einsum('qc,qhw->chw', probs[:, start:start + chunk], masks)[None]
        if tuple(part.shape[-2:]) != tuple(ori_shape):
            part = F.interpolate(part, size=tuple(ori_shape), mode='bilinear',
                                 align_corners=align_corners)
        val, idx = part[0].max(dim=0)
        idx = idx + start
        if best_val is None:
            best_val, best_idx = val, idx
        else:
            better = val > best_val  # ties keep the lower class index, as argmax does
            best_val = torch.where(better, val, best_val)
            best_idx = torch.where(better, idx, best_idx)
    return best_idx[None]
