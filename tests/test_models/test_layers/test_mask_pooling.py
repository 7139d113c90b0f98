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


def test_pooling_stays_finite_in_fp16_at_a_1024_crops_scale():
    """Under AMP the features are fp16. Summing 120s over a 32 x 32 mask and dividing after
    gave inf (F_C and the losses NaN, every AMP step skipped by the loss scaler); so does the
    area of a full mask at the masks' 256 x 256 resolution (a 1024^2 crop, ``at='masks'``).
    fp16 keeps ~3 significant digits: 120 is exact, the mixed mean within 0.1%."""
    feats = torch.full((1, 4, 32, 32), 120.0).half()
    full = torch.full((1, 2, 32, 32), 5.0).half()
    full[0, 1, :, 16:] = -5.0  # half the image
    feats[0, :, :, 16:] = 60.0
    out = mask_pool(feats, full)
    assert out.dtype == torch.float16 and torch.isfinite(out).all()
    assert torch.allclose(out[0, 0].float(), torch.full((4, ), 90.0), rtol=1e-3)
    assert torch.allclose(out[0, 1].float(), torch.full((4, ), 120.0), rtol=1e-3)
    big = torch.full((1, 2, 256, 256), 5.0).half()  # 65536 cells > fp16's largest 65504
    out = mask_pool(torch.full((1, 4, 8, 8), 120.0).half(), big, at='masks')
    assert torch.isfinite(out).all()
    assert torch.allclose(out.float(), torch.full_like(out.float(), 120.0), rtol=1e-3)
