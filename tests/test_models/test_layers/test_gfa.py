"""GFA: each reading's closed form against the iteration of eqs. 1-2 written out here (the
per-query reading's fixed point is a blend, which is what it returns), the divergence guards,
which gradients flow, the per-query dependence the N x N readings must keep, and fp32 under
autocast."""
import math

import pytest
import torch

from mmopen.ovs import GFADivergenceError, gfa


def _unit(x):
    return x / x.norm(dim=-1, keepdim=True)


def _feats(n, d, seed):
    return torch.randn(1, n, d, generator=torch.Generator().manual_seed(seed)).double()


def _matched_pairs(n, d, seed, noise=1.0):
    """Queries and CLIP features where feature i is a noisy copy of query i (a matched pair),
    all sharing one direction as CLIP features do."""
    g = torch.Generator().manual_seed(seed)
    shared = _unit(torch.randn(d, generator=g))
    q = _unit(torch.randn(1, n, d, generator=g)) + 0.5 * shared
    c = q + noise * _unit(torch.randn(1, n, d, generator=g)) / math.sqrt(2)
    return q.double(), c.double()


def _softmax_rows(m):
    """Row softmax written out (exp / row sum), not torch.softmax."""
    e = torch.exp(m - m.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def reference_iteration(f_q, f_c, reading, lam, w, temperature, steps=300):
    """Eqs. (1)-(2) iterated ``steps`` times for one image (N x D), query by query for the
    per-query reading, with the N x N operators built from their definitions otherwise."""
    q0, c0 = _unit(f_q[0]), _unit(f_c[0])
    n = q0.shape[0]
    if reading == 'per_query':
        out_c, out_q = torch.empty_like(c0), torch.empty_like(q0)
        for i in range(n):
            z = lam * float(c0[i] @ q0[i])
            c = c0[i]
            for _ in range(steps):
                q = w * 1.0 * c + (1 - w) * q0[i]  # Norm of a single affinity is 1
                c = w * z * q + (1 - w) * c0[i]
            out_c[i], out_q[i] = c, q
        return out_c, out_q
    sims = torch.zeros(n, n, dtype=q0.dtype)
    for i in range(n):  # rows: CLIP features, columns: queries
        for j in range(n):
            sims[i, j] = c0[i] @ q0[j]
    if reading == 'cross_query':
        z = sims / temperature
        to_q = _softmax_rows(z.T)  # query j's weights over the CLIP features
        to_c = _softmax_rows(z)  # CLIP feature i's weights over the queries
    else:
        z = lam * sims
        to_q, to_c = _softmax_rows(z).T, z
    c = c0
    for _ in range(steps):
        q = w * to_q @ c + (1 - w) * q0
        c = w * to_c @ q + (1 - w) * c0
    return c, q


@pytest.mark.parametrize('reading,lam,w,temperature', [
    ('per_query', 0.2, 0.5, None), ('per_query', 1.1, 0.9, None),
    ('cross_query', None, 0.5, 0.05), ('cross_query', None, 0.9, 0.5),
    ('literal', 0.2, 0.5, None)])
def test_closed_form_is_the_limit_of_the_iteration(reading, lam, w, temperature):
    f_q, f_c = _feats(7, 12, 0), _feats(7, 12, 1)
    kwargs = dict(reading=reading, omega=w)
    kwargs.update({k: v for k, v in dict(lam=lam, temperature=temperature).items() if v})
    out = gfa(f_q, f_c, **kwargs)
    c_ref, q_ref = reference_iteration(f_q, f_c, reading, lam, w, temperature)
    if reading == 'per_query':  # the blend: the fixed point's direction
        c_ref, q_ref = _unit(c_ref), _unit(q_ref)
    assert torch.allclose(out.f_c[0], c_ref, atol=1e-9)
    assert torch.allclose(out.f_q[0], q_ref, atol=1e-9)


@pytest.mark.parametrize('lam', [0.2, 1.0, 3.0])
def test_the_per_query_default_classifies_a_fixed_blend(lam):
    """What the default head classifies, normalize(F_Q^inf), is normalize(F_Q + w F_C) for every
    lambda: the scalar closed form (1 - w) / (1 - w^2 z) (F_Q + w F_C) written out here, its
    normalisation, and the blend computed directly all agree, with their gradients."""
    w = 0.5
    f_q = _feats(9, 16, 10).requires_grad_(True)
    f_c = _feats(9, 16, 11)
    q, c = _unit(f_q[0]), _unit(f_c[0])
    z = lam * (q * c).sum(-1, keepdim=True)
    closed = (1 - w) / (1 - w * w * z) * (q + w * c)
    blend = _unit(q + w * c)
    assert torch.allclose(_unit(closed), blend, atol=1e-12)
    out = gfa(f_q, f_c, lam=lam, omega=w).f_q[0]
    assert torch.allclose(out, blend, atol=1e-12)
    r = torch.randn(out.shape, generator=torch.Generator().manual_seed(3), dtype=out.dtype)
    g_out, = torch.autograd.grad((out * r).sum(), f_q)
    g_ref, = torch.autograd.grad((blend * r).sum(), f_q)
    assert torch.allclose(g_out, g_ref, atol=1e-12)


def test_divergence_guards():
    # per query: |w^2 z| >= 1 with un-normalised features of norm 3 (z = 0.2 * 9 * cos)
    q = torch.ones(1, 2, 4) * 1.5
    with pytest.raises(GFADivergenceError, match='spectral radius'):
        gfa(q, q.clone(), reading='per_query', lam=0.5, omega=0.9, normalize=False)
    # literal: correlated features (mean cosine ~0.7), as CLIP's: rho(w^2 A) >= 1
    g = torch.Generator().manual_seed(2)
    shared = _unit(torch.randn(1, 1, 64, generator=g))
    f_q = _unit(torch.randn(2, 100, 64, generator=g)) + 1.5 * shared
    f_c = _unit(torch.randn(2, 100, 64, generator=g)) + 1.5 * shared
    with pytest.raises(GFADivergenceError, match='spectral radius'):
        gfa(f_q, f_c, reading='literal', lam=0.2, omega=0.5)
    # ... where the iteration indeed blows up, and the two other readings stay finite
    c, _ = reference_iteration(f_q[:1].double(), f_c[:1].double(), 'literal', 0.2, 0.5, None,
                               steps=60)
    assert c.abs().max() > 1e6
    for reading in ('per_query', 'cross_query'):
        assert torch.isfinite(gfa(f_q, f_c, reading=reading).f_c).all()


def _jacobian_blocks(reading, f_q, f_c, output='f_c', **kw):
    """Frobenius norms of the D x D blocks d out_i / d F_Q^0_j (N x N)."""
    n, d = f_q.shape[1:]

    def fn(q):
        out = gfa(q, f_c, reading=reading, **kw)
        return getattr(out, output)

    jac = torch.autograd.functional.jacobian(fn, f_q)[0, :, :, 0]  # N x D x N x D
    return jac.permute(0, 2, 1, 3).reshape(n, n, d * d).norm(dim=-1)


def _dominance(blocks):
    """Smallest ratio of a diagonal block to the largest off-diagonal block of its row."""
    n = blocks.shape[0]
    off = blocks.masked_fill(torch.eye(n, dtype=torch.bool), 0).max(dim=1).values
    return (blocks.diagonal() / off.clamp(min=1e-30)).min().item()


@pytest.mark.parametrize('output', ['f_c', 'f_q'])
def test_each_query_output_depends_on_its_own_embedding(output):
    """The bug this guards against: with lambda = 0.2 on unit vectors the N x N softmax is
    within a few percent of uniform, so query i's output weighs its own embedding like any
    other's (0.00334 vs 0.00333 at N = 100) and the decoder's per-query embedding has no say in
    its own class."""
    f_q, f_c = _matched_pairs(10, 16, 3)
    # (per query, the other queries' blocks are zero by definition: nothing to test)
    # cross query at the default temperature: the own block dominates by > 3x
    assert _dominance(_jacobian_blocks('cross_query', f_q, f_c, output, temperature=0.05)) > 3
    if output == 'f_c':  # (F_Q^inf keeps (1 - w) F_Q^0 whatever the affinities)
        # the near-uniform affinities of lambda = 0.2 (temperature 5) fail this
        assert _dominance(_jacobian_blocks('cross_query', f_q, f_c, output,
                                           temperature=5.0)) < 1.2


def test_gradients_flow_only_through_the_linear_terms():
    f_q = _unit(_feats(6, 8, 4)).requires_grad_(True)
    f_c = _unit(_feats(6, 8, 5)).requires_grad_(True)
    w, t = 0.5, 0.1
    out = gfa(f_q, f_c, reading='cross_query', omega=w, temperature=t, normalize=False).f_c
    r = torch.randn_like(out)
    (out * r).sum().backward()
    # with the affinities held constant, F_C^inf = (1-w) M^-1 (w P_CQ F_Q + F_C)
    with torch.no_grad():
        z = (f_c @ f_q.transpose(1, 2))[0] / t
        p_qc, p_cq = _softmax_rows(z.T), _softmax_rows(z)
        m = torch.eye(6, dtype=z.dtype) - w**2 * p_cq @ p_qc
        g_rhs = (1 - w) * torch.linalg.solve(m.T, r[0])
    assert torch.allclose(f_q.grad[0], w * p_cq.T @ g_rhs, atol=1e-10)
    assert torch.allclose(f_c.grad[0], g_rhs, atol=1e-10)
    # per query: F_C = normalize(u), u = w z F_Q + F_C^0 with z held constant, so
    # d sum(F_C) / d F_Q = w z (1 - F_C <F_C, 1>) / |u|: nothing through z
    q = _unit(_feats(5, 8, 6)).requires_grad_(True)
    c = _unit(_feats(5, 8, 7))
    gfa(q, c, normalize=False).f_c.sum().backward()
    with torch.no_grad():
        z = 0.2 * (q * c).sum(-1, keepdim=True)
        u = w * z * q + c
        f = u / u.norm(dim=-1, keepdim=True)
        expected = w * z * (1 - f * f.sum(-1, keepdim=True)) / u.norm(dim=-1, keepdim=True)
    assert torch.allclose(q.grad, expected, atol=1e-12)


def test_runs_in_fp32_under_autocast(monkeypatch):
    """Under bf16 autocast the affinities and the solve still run in fp32, autocast off."""
    seen = []
    real_solve = torch.linalg.solve

    def solve(a, b):
        seen.append((a.dtype, b.dtype, torch.is_autocast_enabled('cpu')))
        return real_solve(a, b)

    monkeypatch.setattr(torch.linalg, 'solve', solve)
    f_q, f_c = _feats(6, 8, 8).float(), _feats(6, 8, 9).float()
    ref = gfa(f_q, f_c, reading='cross_query')
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = gfa(f_q.bfloat16(), f_c.bfloat16(), reading='cross_query')
    assert seen[-1] == (torch.float32, torch.float32, False)
    assert got.f_c.dtype == torch.bfloat16
    # only the inputs and the output were rounded to bf16 (relative 2^-8 each)
    assert torch.allclose(got.f_c.float(), ref.f_c, atol=1e-2)
