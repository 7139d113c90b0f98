"""Point-sampled mask losses restricted to labelled pixels (mmopen.ovs.labelled_points),
against mmdet's own point sampling and dice loss and a per-point loop."""
import numpy as np
import pytest
import torch

from mmopen.ovs.labelled_points import (labelled_point_weights, sample_points,
                                        uncertain_point_coords, weighted_dice_loss)


def _stencil_reference(labelled: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """1 where the 2 x 2 pixels bilinear sampling reads (``align_corners=False``, indices
    clamped to the image) are all labelled, by a loop over points."""
    n, h, w = labelled.shape
    out = np.zeros(coords.shape[:2])
    for i in range(n):
        for p, (x, y) in enumerate(coords[i]):
            px, py = x * w - 0.5, y * h - 0.5
            x0, y0 = int(np.floor(px)), int(np.floor(py))
            xs = {min(max(x0, 0), w - 1), min(max(x0 + 1, 0), w - 1)}
            ys = {min(max(y0, 0), h - 1), min(max(y0 + 1, 0), h - 1)}
            # a stencil pixel with zero bilinear weight (a point exactly on a pixel centre)
            # does not count; measure-zero for random points
            out[i, p] = float(all(labelled[i, yy, xx] for yy in ys for xx in xs))
    return out


def test_labelled_weights_are_whole_stencils_on_labelled_pixels():
    g = torch.Generator().manual_seed(0)
    labelled = torch.ones(2, 12, 16, dtype=torch.bool)
    labelled[0, 3:8, 5:11] = False
    labelled[1, :, :4] = False
    coords = torch.rand(2, 500, 2, generator=g)
    got = labelled_point_weights(labelled, coords).numpy()
    want = _stencil_reference(labelled.numpy(), coords.numpy())
    assert np.array_equal(got, want)
    assert 0 < got.mean() < 1
    # a fully labelled image keeps every point, borders included
    assert labelled_point_weights(torch.ones(1, 5, 7, dtype=torch.bool),
                                  torch.rand(1, 300, 2, generator=g)).min() == 1


def test_sample_points_is_mmcv_point_sample():
    from mmcv.ops import point_sample
    g = torch.Generator().manual_seed(1)
    maps = torch.randn(3, 9, 11, generator=g)
    coords = torch.rand(3, 40, 2, generator=g)
    want = point_sample(maps.unsqueeze(1), coords).squeeze(1)
    assert torch.allclose(sample_points(maps, coords), want, atol=1e-6)


def test_uncertain_points_without_labels_are_mmdets():
    """Same random numbers, same order: the points mmdet's sampler draws."""
    from mmdet.models.utils import get_uncertain_point_coords_with_randomness
    logits = torch.randn(4, 8, 8, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(7)
    want = get_uncertain_point_coords_with_randomness(logits.unsqueeze(1), None, 96, 3.0, 0.75)
    torch.manual_seed(7)
    got = uncertain_point_coords(logits, None, 96, 3.0, 0.75)
    assert torch.equal(got, want)


def test_uncertain_points_are_drawn_among_labelled_candidates():
    """The importance points never land on unlabelled stencils (the logits there are the most
    uncertain of all, so a sampler blind to labels would pick them first); the uniform rest
    still may."""
    logits = torch.full((2, 8, 8), 5.0)
    logits[:, 2:6, 2:6] = 0.0  # maximally uncertain, and unlabelled below
    labelled = torch.ones(2, 32, 32, dtype=torch.bool)
    labelled[:, 8:24, 8:24] = False
    torch.manual_seed(3)
    coords = uncertain_point_coords(logits, labelled, 200, 3.0, 0.75)
    w = labelled_point_weights(labelled, coords)
    assert coords.shape == (2, 200, 2)
    assert w[:, :150].min() == 1
    torch.manual_seed(3)
    blind = uncertain_point_coords(logits, None, 200, 3.0, 0.75)
    assert labelled_point_weights(labelled, blind)[:, :150].mean() < 0.5


@pytest.mark.parametrize('naive', [True, False])
def test_weighted_dice_is_mmdets_dice_on_the_kept_points(naive):
    from mmdet.models.losses import DiceLoss
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(5, 60, generator=g)
    targets = (torch.rand(5, 60, generator=g) > 0.6).float()
    dice = DiceLoss(use_sigmoid=True, activate=True, reduction='none', naive_dice=naive,
                    eps=1.0)
    ones = torch.ones_like(logits)
    assert torch.allclose(weighted_dice_loss(logits, targets, ones, 1.0, naive),
                          dice(logits, targets), atol=1e-6)
    weights = (torch.rand(5, 60, generator=g) > 0.3).float()
    got = weighted_dice_loss(logits, targets, weights, 1.0, naive)
    for i in range(5):
        keep = weights[i] > 0
        want = dice(logits[i:i + 1, keep], targets[i:i + 1, keep])
        assert torch.allclose(got[i:i + 1], want, atol=1e-6), i
