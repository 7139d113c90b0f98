"""GFA (closed form vs iteration, the divergence guard, which gradients flow), mask pooling,
the Proxy Calibration loss and the chunked semantic-map post-processing."""
import pytest
import torch
import torch.nn.functional as F

from mmopen.models.layers import GFADivergenceError, gfa, mask_pool
from mmopen.models.losses import mixed_alignment_loss, proxy_calibration_loss


def _feats(b, n, d, seed):
    return torch.randn(b, n, d, generator=torch.Generator().manual_seed(seed))


def _correlated_pair(b, n, d, seed, strength):
    """Two feature sets sharing one direction, like CLIP features (high mean cosine)."""
    g = torch.Generator().manual_seed(seed)
    shared = F.normalize(torch.randn(1, 1, d, generator=g), dim=-1)
    q = F.normalize(torch.randn(b, n, d, generator=g), dim=-1) + strength * shared
    c = F.normalize(torch.randn(b, n, d, generator=g), dim=-1) + strength * shared
    return q, c


def _iterate(f_q, f_c, lam, w, norm, steps):
    """Eqs. (1)-(2) run step by step (the reference for the closed form)."""
    q0, c0 = F.normalize(f_q, dim=-1).double(), F.normalize(f_c, dim=-1).double()
    z = lam * c0 @ q0.transpose(1, 2)
    if norm == 'softmax':
        p_qc, p_cq = torch.softmax(z.transpose(1, 2), 2), torch.softmax(z, 2)
    else:
        p_qc, p_cq = torch.softmax(z, 2).transpose(1, 2), z
    c = c0
    for _ in range(steps):
        q = w * p_qc @ c + (1 - w) * q0
        c = w * p_cq @ q + (1 - w) * c0
    return c, q


@pytest.mark.parametrize('norm,lam,w', [('softmax', 0.2, 0.5), ('softmax', 5.0, 0.9),
                                        ('literal', 0.2, 0.5)])
def test_closed_form_equals_iteration(norm, lam, w):
    f_q, f_c = _feats(3, 12, 16, 0), _feats(3, 12, 16, 1)
    out = gfa(f_q, f_c, lam=lam, omega=w, norm=norm)
    c_ref, q_ref = _iterate(f_q, f_c, lam, w, norm, steps=400)
    assert torch.allclose(out.f_c.double(), c_ref, atol=1e-5)
    assert torch.allclose(out.f_q.double(), q_ref, atol=1e-5)


def test_guard_trips_when_the_series_diverges():
    # correlated unit features (mean cosine ~0.7) with the literal reading: rho(w^2 A) >= 1
    f_q, f_c = _correlated_pair(2, 100, 64, 2, strength=1.5)
    cos = (F.normalize(f_q, dim=-1) @ F.normalize(f_c, dim=-1).transpose(1, 2)).mean()
    assert 0.6 < cos < 0.8
    with pytest.raises(GFADivergenceError, match='spectral radius'):
        gfa(f_q, f_c, lam=0.2, omega=0.5, norm='literal')
    # ... and the iteration indeed blows up there
    c, _ = _iterate(f_q, f_c, 0.2, 0.5, 'literal', steps=60)
    assert c.abs().max() > 1e6
    # the default (normalised) form converges on the same features
    out = gfa(f_q, f_c, lam=0.2, omega=0.5)
    assert torch.isfinite(out.f_c).all()


def test_gradients_flow_only_through_the_linear_terms():
    f_q = F.normalize(_feats(1, 6, 8, 4), dim=-1).requires_grad_(True)
    f_c = F.normalize(_feats(1, 6, 8, 5), dim=-1).requires_grad_(True)
    w = 0.5
    out = gfa(f_q, f_c, lam=0.2, omega=w, normalize=False).f_c
    r = torch.randn_like(out)
    (out * r).sum().backward()
    # with the affinities held constant, F_C^inf = (1-w) M^-1 (w P_CQ F_Q + F_C)
    with torch.no_grad():
        z = 0.2 * f_c @ f_q.transpose(1, 2)
        p_qc, p_cq = torch.softmax(z.transpose(1, 2), 2), torch.softmax(z, 2)
        m = torch.eye(6) - w**2 * p_cq @ p_qc
        g_rhs = (1 - w) * torch.linalg.solve(m.transpose(1, 2), r)
    assert torch.allclose(f_q.grad, w * p_cq.transpose(1, 2) @ g_rhs, atol=1e-5)
    assert torch.allclose(f_c.grad, g_rhs, atol=1e-5)


def test_mask_pool_matches_a_loop():
    feats = torch.randn(2, 5, 4, 4)
    logits = torch.randn(2, 3, 4, 4)
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


def test_proxy_calibration_loss():
    q, c, t = torch.randn(4, 8), torch.randn(4, 8), torch.randn(4, 8)
    alpha = torch.tensor([[0.2], [0.5], [0.9], [0.3]])
    perm = torch.tensor([2, 0, 3, 1])
    ref = 0.0
    for i in range(4):
        j = int(perm[i])
        a = float(alpha[i])
        mq, mc, mt = a * q[i] + (1 - a) * q[j], a * c[i] + (1 - a) * c[j], a * t[i] + (
            1 - a) * t[j]
        ref += (1 - F.cosine_similarity(mq, mt, dim=0)) + (1 - F.cosine_similarity(mc, mt, dim=0))
    assert mixed_alignment_loss(q, c, t, alpha, perm).item() == pytest.approx(
        ref.item() / 4, abs=1e-6)
    torch.manual_seed(0)
    _, stats = proxy_calibration_loss(torch.randn(4000, 8), torch.randn(4000, 8),
                                      torch.randn(4000, 8), gamma=2.0, return_stats=True)
    assert stats['alpha_mean'] == pytest.approx(0.5, abs=0.02) and stats['pairs'] == 4000
    one = proxy_calibration_loss(q[:1], c[:1], t[:1])
    assert one.item() == 0.0


def test_chunked_postprocess_equals_mmseg():
    import mmopen  # noqa: F401
    from mmseg.models.segmentors import EncoderDecoder
    from mmseg.structures import SegDataSample

    from mmopen.models.segmentors import chunked_upsample_argmax
    logits = torch.randn(1, 37, 16, 20)
    meta = dict(ori_shape=(50, 70), img_shape=(60, 76), pad_shape=(64, 80),
                padding_size=[0, 4, 0, 4], flip=True, flip_direction='horizontal')
    up = F.interpolate(logits, size=(64, 80), mode='bilinear', align_corners=False)
    sample = SegDataSample(metainfo=meta)
    seg = EncoderDecoder.__new__(EncoderDecoder)
    seg.align_corners = False
    ref = EncoderDecoder.postprocess_result(seg, up, [sample])[0].pred_sem_seg.data
    got = chunked_upsample_argmax(logits[0], (64, 80), meta['padding_size'],
                                  meta['ori_shape'], 'horizontal', chunk=5)
    assert torch.equal(got, ref)
