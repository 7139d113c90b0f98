"""Proxy Calibration: eq. 5 against a loop, the Beta(gamma, gamma) draw, and no double count
without fusion."""
import pytest
import torch
import torch.nn.functional as F

from mmopen.ovs import mixed_alignment_loss, proxy_calibration_loss


def _unit(v):
    return v / v.norm()


def _reference(q, c, t, alpha, perm):
    """Eq. 5 pair by pair, each embedding L2-normalised before it is mixed."""
    total = 0.0
    for i in range(q.shape[0]):
        j, a = int(perm[i]), float(alpha[i])

        def mix(x):
            return a * _unit(x[i]) + (1 - a) * _unit(x[j])

        mt = mix(t)
        l_pq = 1 - F.cosine_similarity(mix(q), mt, dim=0)
        l_pc = 0.0 if c is None else 1 - F.cosine_similarity(mix(c), mt, dim=0)
        total += l_pq + l_pc
    return total / q.shape[0]


def test_mixed_loss_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    # query projections are not unit vectors: one 10x longer than the others
    q = torch.randn(4, 8, generator=g) * torch.tensor([[10.], [1.], [1.], [1.]])
    c, t = torch.randn(4, 8, generator=g), F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    alpha = torch.tensor([[0.2], [0.5], [0.9], [0.3]])
    perm = torch.tensor([2, 0, 3, 1])
    got = mixed_alignment_loss(q, c, t, alpha, perm)
    assert got.item() == pytest.approx(_reference(q, c, t, alpha, perm).item(), abs=1e-6)
    # without fusion the loss is L_PQ alone (not L_PQ counted twice)
    alone = mixed_alignment_loss(q, None, t, alpha, perm)
    assert alone.item() == pytest.approx(_reference(q, None, t, alpha, perm).item(), abs=1e-6)
    twice = mixed_alignment_loss(q, q, t, alpha, perm)
    assert twice.item() == pytest.approx(2 * alone.item(), abs=1e-6)


def test_mixing_uses_normalised_embeddings():
    """Un-normalised mixing lets the longer vector set the proxy's direction whatever alpha is:
    scaling one query's projection must not change the loss."""
    g = torch.Generator().manual_seed(1)
    q, c, t = (torch.randn(3, 6, generator=g) for _ in range(3))
    alpha, perm = torch.tensor([[0.3], [0.6], [0.5]]), torch.tensor([1, 2, 0])
    scaled = q * torch.tensor([[100.], [1.], [1.]])
    assert mixed_alignment_loss(scaled, c, t, alpha, perm).item() == pytest.approx(
        mixed_alignment_loss(q, c, t, alpha, perm).item(), abs=1e-6)


@pytest.mark.parametrize('gamma', [0.5, 1.0, 2.0, 5.0])
def test_alpha_follows_beta_gamma_gamma(gamma):
    """Beta(gamma, gamma) has mean 1/2 for every gamma; its variance 1 / (4 (2 gamma + 1)) is
    what tells a wrong gamma (or a uniform draw) apart: 0.125 at gamma 0.5, 1/12 at 1, 0.05 at
    2, 1/44 at 5. With 40k draws the sample variance's relative standard error is < 1%."""
    torch.manual_seed(0)
    m = 40000
    _, stats = proxy_calibration_loss(torch.randn(m, 4), torch.randn(m, 4), torch.randn(m, 4),
                                      gamma=gamma, return_stats=True)
    assert stats['pairs'] == m
    assert stats['alpha_mean'] == pytest.approx(0.5, abs=0.01)
    assert stats['alpha_var'] == pytest.approx(1 / (4 * (2 * gamma + 1)), rel=0.04)


def test_fewer_than_two_matched_queries_give_zero():
    q = torch.randn(1, 8, requires_grad=True)
    loss = proxy_calibration_loss(q, q, torch.randn(1, 8))
    assert loss.item() == 0.0
    loss.backward()  # still part of the graph
