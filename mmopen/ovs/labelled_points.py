"""Mask2Former's point-sampled mask losses restricted to labelled pixels.

Mask2Former (Cheng et al., CVPR 2022, Sec. 3.3 "improving training efficiency") computes the
mask BCE and dice, and the matching costs, on points sampled from each mask instead of on every
pixel: the matching on ``P`` uniform points, the losses on ``P`` points of which 75% are the
most uncertain of ``3P`` uniform candidates (PointRend's importance sampling) and 25% uniform.
mmdet samples them without looking at the label map's ignore index, so a pixel labelled
"ignore" is a 0 in every ground-truth mask. In the zero-shot protocol the classes held out from
training are labelled ignore, and every query is then taught to cut those objects out of its
mask: at test time no mask covers an unseen object, and no classifier can name it.

Here a point counts only where the label map is defined: its weight is 1 when its whole
bilinear stencil (the 2 x 2 ground-truth pixels ``grid_sample`` reads) is labelled and 0
otherwise, so moving a mask logit inside an ignored region changes neither a loss nor a
gradient. Labelled points keep exactly mmdet's terms and normalisation (the BCE is still
averaged over ``masks x P``): with no ignored pixel the losses and the matching are mmdet's,
point for point. The uncertain points are drawn among labelled candidates only (an ignored
candidate's uncertainty is ``-inf``), so the importance budget is not spent where no target
exists.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

# a stencil counts as labelled when its bilinear average of the 0/1 labelled map is 1 up to
# rounding (four weights that sum to 1 in float32)
_FULL = 1.0 - 1e-5


def _grid(coords: Tensor) -> Tensor:
    """``[0, 1]`` point coordinates (``N x P x 2``, x then y) as ``grid_sample``'s grid."""
    return (2.0 * coords - 1.0).unsqueeze(2)


def sample_points(maps: Tensor, coords: Tensor, padding_mode: str = 'zeros') -> Tensor:
    """Bilinear values of ``maps`` (``N x H x W``) at ``coords`` (``N x P x 2`` in ``[0, 1]``,
    x first; ``align_corners=False``, as mmcv's ``point_sample``). Returns ``N x P``."""
    return F.grid_sample(maps.unsqueeze(1).float(), _grid(coords), mode='bilinear',
                         padding_mode=padding_mode, align_corners=False)[:, 0, :, 0]


def labelled_point_weights(labelled: Tensor, coords: Tensor) -> Tensor:
    """1 where a point's whole bilinear stencil lies on labelled pixels, else 0 (``N x P``).

    ``labelled`` is ``N x H x W`` (``True`` where the label map is not the ignore index);
    outside the image a stencil takes the nearest border pixel, so that a labelled image keeps
    every point."""
    inside = sample_points(labelled, coords, padding_mode='border')
    return (inside >= _FULL).float()


def uncertain_point_coords(mask_logits: Tensor, labelled: Optional[Tensor], num_points: int,
                           oversample_ratio: float, importance_sample_ratio: float) -> Tensor:
    """Mask2Former's training points for ``N`` masks (``N x h x w`` logits): of
    ``oversample_ratio * num_points`` uniform candidates, the ``importance_sample_ratio *
    num_points`` with the smallest ``|logit|``, then uniform points up to ``num_points``.
    With ``labelled`` (``N x H x W``), candidates on unlabelled pixels are never chosen as
    uncertain. ``labelled=None`` draws the same points as mmdet's
    ``get_uncertain_point_coords_with_randomness`` (same random numbers, same order).
    Returns ``N x num_points x 2``."""
    n = mask_logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    candidates = torch.rand(n, num_sampled, 2, device=mask_logits.device)
    uncertainty = -sample_points(mask_logits, candidates).abs()
    if labelled is not None:
        keep = labelled_point_weights(labelled, candidates) > 0
        uncertainty = uncertainty.masked_fill(~keep, float('-inf'))
    num_uncertain = int(importance_sample_ratio * num_points)
    idx = torch.topk(uncertainty, k=num_uncertain, dim=1)[1]
    coords = torch.gather(candidates, 1, idx.unsqueeze(-1).expand(-1, -1, 2))
    num_random = num_points - num_uncertain
    if num_random > 0:
        coords = torch.cat([coords, torch.rand(n, num_random, 2, device=mask_logits.device)],
                           dim=1)
    return coords


def weighted_dice_loss(logits: Tensor, targets: Tensor, weights: Tensor, eps: float = 1.0,
                       naive_dice: bool = True) -> Tensor:
    """Per-mask dice loss of point logits against point targets (``N x P``), each point
    weighted (``weights``, 0 drops it): mmdet's ``DiceLoss(use_sigmoid=True, activate=True)``
    with every sum taken over the weighted points,

        naive:  1 - (2 sum w p t + eps) / (sum w p + sum w t + eps)
        V-Net:  1 - 2 sum w p t / ((sum w p^2 + eps) + (sum w t^2 + eps))

    with ``p = sigmoid(logit)``. Unit weights give mmdet's value. Returns ``N``."""
    p = logits.sigmoid().flatten(1)
    t = targets.flatten(1).to(p.dtype)
    w = weights.flatten(1).to(p.dtype)
    a = (w * p * t).sum(1)
    if naive_dice:
        return 1 - (2 * a + eps) / ((w * p).sum(1) + (w * t).sum(1) + eps)
    return 1 - 2 * a / (((w * p * p).sum(1) + eps) + ((w * t * t).sum(1) + eps))
