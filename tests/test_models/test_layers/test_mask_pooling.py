"""Mask pooling against a loop over masks, at the features' and at the masks' resolution."""
import torch
import torch.nn.functional as F

from mmopen.ovs import mask_pool


def test_binary_and_sigmoid_pooling_match_a_loop():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 5, 4, 4, generator=g)
    logits = torch.randn(2, 3, 4, 4, generator=g)
    logits[1, 2] = -1.0  # an empty mask pools to zeros
    out = mask_pool(feats, logits)
    for b in range(2):
        for q in range(3):
            m = logits[b, q] > 0
            ref = feats[b][:, m].mean(dim=1) if m.any() else torch.zeros(5)
            assert torch.allclose(out[b, q], ref, atol=1e-6)
    soft = mask_pool(feats, logits, 'sigmoid')
    w = logits.sigmoid()
    ref = (feats[0, :, None] * w[0][None]).sum((2, 3)) / w[0].sum((1, 2))
    assert torch.allclose(soft[0], ref.T, atol=1e-5)


def test_resolution_of_the_pooling():
    """``at='features'`` (FC-CLIP) resizes the masks to the 2 x 2 features, where a small mask
    vanishes; ``at='masks'`` resizes the features to the 8 x 8 masks and keeps it."""
    feats = torch.arange(2 * 2 * 2, dtype=torch.float).view(1, 2, 2, 2)
    logits = torch.full((1, 1, 8, 8), -5.0)
    logits[0, 0, :2, :2] = 5.0  # 4 of 64 pixels, top-left
    assert torch.equal(mask_pool(feats, logits, at='features'), torch.zeros(1, 1, 2))
    up = F.interpolate(feats, size=(8, 8), mode='bilinear', align_corners=False)
    ref = up[0, :, :2, :2].mean(dim=(1, 2))
    assert torch.allclose(mask_pool(feats, logits, at='masks')[0, 0], ref, atol=1e-6)
