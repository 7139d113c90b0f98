"""Semantic tokens against a per-query, per-patch loop (both attention modes); the probe of the
tokens against its definitions; orthonormal queries; the perturbation's scale."""
import math

import pytest
import torch

from mmopen.osdg.seeclip.semantic_tokens import (SemanticTokens, flatten_patches, normal_queries,
                                                 orthonormal_queries, perturb_tokens,
                                                 semantic_tokens, token_diagnostics)


def _unit(v):
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def _reference(patches, queries, t, mode):
    """Written out per image: centre the patches, cosine to each unit query over t, then a
    softmax over the patches ('independent') or over the queries, renormalised over the
    patches ('competitive'); tokens are the attention-weighted sums of the patches."""
    b, n, d = patches.shape
    k = queries.shape[0]
    out_attn = torch.zeros(b, k, n, dtype=torch.float64)
    out_tok = torch.zeros(b, k, d, dtype=torch.float64)
    for i in range(b):
        rows = [patches[i, j].tolist() for j in range(n)]
        mean = [sum(r[c] for r in rows) / n for c in range(d)]
        centred = [_unit([r[c] - mean[c] for c in range(d)]) for r in rows]
        qs = [_unit(queries[q].tolist()) for q in range(k)]
        logit = [[sum(a * b_ for a, b_ in zip(centred[j], qs[q])) / t for j in range(n)]
                 for q in range(k)]
        if mode == 'independent':
            for q in range(k):
                e = [math.exp(v) for v in logit[q]]
                for j in range(n):
                    out_attn[i, q, j] = e[j] / sum(e)
        else:
            share = [[0.0] * n for _ in range(k)]
            for j in range(n):
                e = [math.exp(logit[q][j]) for q in range(k)]
                for q in range(k):
                    share[q][j] = e[q] / sum(e)
            for q in range(k):
                for j in range(n):
                    out_attn[i, q, j] = share[q][j] / sum(share[q])
        for q in range(k):
            for j in range(n):
                out_tok[i, q] += out_attn[i, q, j] * patches[i, j].double()
    return out_tok, out_attn


@pytest.mark.parametrize('mode', ['competitive', 'independent'])
def test_semantic_tokens_match_a_loop_over_queries_and_patches(mode):
    gen = torch.Generator().manual_seed(0)
    patches = torch.nn.functional.normalize(torch.randn(2, 6, 4, generator=gen), dim=-1)
    queries = torch.randn(3, 4, generator=gen)
    out = semantic_tokens(patches, queries, 0.3, mode)
    tok, attn = _reference(patches, queries, 0.3, mode)
    assert torch.allclose(out.attention.double(), attn, atol=1e-6)
    assert torch.allclose(out.tokens.double(), tok, atol=1e-6)
    assert torch.allclose(out.attention.sum(-1), torch.ones(2, 3), atol=1e-6)
    assert torch.equal(out.patches, patches)


def test_competition_shares_each_patch_among_the_queries():
    """Each patch goes to the query it is closest to: two queries, each nearer one half of four
    orthogonal patches, each take their half."""
    patches = torch.eye(4)[None]  # four orthogonal patches
    q = torch.tensor([[1.0, 0.2, 0.0, 0.0], [0.0, 0.0, 1.0, 0.2]])
    comp = semantic_tokens(patches, q, 0.05, 'competitive').attention[0]
    # each query takes the two patches on its side: patch 0 (and 1) to query 0, 2 (and 3) to 1
    assert comp[0, :2].sum() > 0.99 and comp[1, 2:].sum() > 0.99


def test_probe_of_identical_and_of_distinct_tokens():
    patches = torch.nn.functional.normalize(torch.randn(1, 16, 8), dim=-1)
    uniform = torch.full((1, 4, 16), 1 / 16)
    same = SemanticTokens(uniform @ patches, uniform, patches)  # every token the mean patch
    probe = token_diagnostics(same)
    assert probe['token_cos'].item() == pytest.approx(1.0, abs=1e-6)
    assert probe['token_spread'].item() == pytest.approx(0.0, abs=1e-5)
    assert probe['attention_entropy'].item() == pytest.approx(1.0, abs=1e-6)
    assert probe['attention_max_min'].item() == pytest.approx(1.0, abs=1e-6)
    one_hot = torch.zeros(1, 4, 16)
    for k in range(4):
        one_hot[0, k, k] = 1.0  # each token one patch
    distinct = token_diagnostics(SemanticTokens(one_hot @ patches, one_hot, patches))
    pairs = [(i, j) for i in range(4) for j in range(4) if i != j]
    expected = sum(float(patches[0, i] @ patches[0, j]) for i, j in pairs) / len(pairs)
    assert distinct['token_cos'].item() == pytest.approx(expected, abs=1e-6)
    assert distinct['attention_entropy'].item() == pytest.approx(0.0, abs=1e-6)
    # single patches are as far apart as patches are, on average (spread near 1)
    assert 0.5 < distinct['token_spread'].item() < 2.0


def test_orthonormal_queries():
    q = orthonormal_queries(4, 32, torch.Generator().manual_seed(0))
    assert torch.allclose(q @ q.T, torch.eye(4), atol=1e-6)
    assert not torch.equal(q, orthonormal_queries(4, 32, torch.Generator().manual_seed(1)))
    many = orthonormal_queries(6, 4, torch.Generator().manual_seed(0))  # K > D: unit rows
    assert torch.allclose(many.norm(dim=-1), torch.ones(6), atol=1e-6)


def test_flatten_patches_normalises_each_patch_in_raster_order():
    x = torch.randn(1, 3, 2, 2)
    flat = flatten_patches(x)
    assert flat.shape == (1, 4, 3)
    assert torch.allclose(flat[0, 1], x[0, :, 0, 1] / x[0, :, 0, 1].norm())
    assert torch.equal(flatten_patches(x, normalize=False)[0, 2], x[0, :, 1, 0])


def test_released_attention_is_a_softmax_of_the_raw_scores_over_the_patches():
    """Per image and query, written out: scores ``p_j . q`` with no scaling, a softmax over the
    patches, the token the weighted sum of the raw patches (patches and queries not unit)."""
    gen = torch.Generator().manual_seed(0)
    patches = torch.randn(2, 5, 3, generator=gen) * 3
    queries = torch.randn(2, 3, generator=gen)
    out = semantic_tokens(patches, queries, 0.05, 'released')  # the temperature is not used
    for i in range(2):
        for q in range(2):
            scores = [sum(patches[i, j, c].item() * queries[q, c].item() for c in range(3))
                      for j in range(5)]
            top = max(scores)
            e = [math.exp(s - top) for s in scores]
            w = [v / sum(e) for v in e]
            tok = [sum(w[j] * patches[i, j, c].item() for j in range(5)) for c in range(3)]
            assert out.attention[i, q].tolist() == pytest.approx(w, abs=1e-6)
            assert out.tokens[i, q].tolist() == pytest.approx(tok, abs=1e-5)


def test_normal_queries_have_the_requested_std():
    # 4096 draws: the sample std's standard error is 0.02 / sqrt(8192) = 2.2e-4; 4 of them
    q = normal_queries(8, 512, torch.Generator().manual_seed(0), std=0.02)
    assert q.shape == (8, 512) and abs(float(q.std()) - 0.02) < 9e-4


def test_perturbation_scale_is_sigma_times_the_token_rms():
    tokens = torch.cat([torch.full((1, 1, 4000), 2.0), torch.full((1, 1, 4000), -0.5)], dim=1)
    gen = torch.Generator().manual_seed(0)
    noisy = perturb_tokens(tokens, 0.2, gen)
    noise = noisy - tokens
    # 4000 draws: the sample std is within ~3 % of the true one (3 standard errors)
    assert float(noise[0, 0].std()) == pytest.approx(0.2 * 2.0, rel=0.035)
    assert float(noise[0, 1].std()) == pytest.approx(0.2 * 0.5, rel=0.035)
    assert torch.equal(perturb_tokens(tokens, 0.0), tokens)
    with pytest.raises(ValueError, match='sigma'):
        perturb_tokens(tokens, -1.0)


def test_absolute_perturbation_is_the_releases_sigma_whatever_the_token_scale():
    """The release adds ``randn_like(s) * sigma``: the same noise std for a large and a small
    token (4000 draws each: 3.5 % is over 3 standard errors of the sample std)."""
    tokens = torch.cat([torch.full((1, 1, 4000), 2.0), torch.full((1, 1, 4000), -0.5)], dim=1)
    noise = perturb_tokens(tokens, 0.2, torch.Generator().manual_seed(0), noise='absolute') - \
        tokens
    assert float(noise[0, 0].std()) == pytest.approx(0.2, rel=0.035)
    assert float(noise[0, 1].std()) == pytest.approx(0.2, rel=0.035)
    with pytest.raises(ValueError, match='noise'):
        perturb_tokens(tokens, 0.2, noise='relative')


def test_diagnostics_of_one_query_stay_on_the_tokens_device():
    """With ``num_queries=1`` the pairwise cosine is NaN by definition; it was made on the CPU
    and met CUDA tensors. The meta device shows the same mistake on a CPU machine."""
    import math

    from mmopen.osdg.seeclip.semantic_tokens import SemanticTokens, token_diagnostics
    sem = SemanticTokens(torch.empty(2, 1, 8, device='meta'),
                         torch.empty(2, 1, 1, device='meta'),
                         torch.empty(2, 1, 8, device='meta'))
    out = token_diagnostics(sem)
    assert {v.device.type for v in out.values()} == {'meta'}
    cpu = token_diagnostics(SemanticTokens(torch.ones(2, 1, 8), torch.ones(2, 1, 4),
                                           torch.randn(2, 4, 8)))
    assert math.isnan(cpu['token_cos'][0]) and cpu['attention_entropy'].tolist() == [0.0, 0.0]
