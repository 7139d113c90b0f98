"""Semantic tokens against a per-query loop; the perturbation's scale."""
import pytest
import torch

from mmopen.seeclip.semantic_tokens import flatten_patches, perturb_tokens, semantic_tokens


def test_semantic_tokens_match_a_loop_over_queries_and_patches():
    gen = torch.Generator().manual_seed(0)
    patches = torch.randn(2, 6, 4, generator=gen)
    queries = torch.randn(3, 4, generator=gen)
    out = semantic_tokens(patches, queries)
    for b in range(2):
        for k in range(3):
            logits = [float(torch.dot(patches[b, i], queries[k])) for i in range(6)]
            m = max(logits)
            w = [pow(2.718281828459045, v - m) for v in logits]
            a = [v / sum(w) for v in w]
            s = sum(a[i] * patches[b, i] for i in range(6))
            assert out.attention[b, k].tolist() == pytest.approx(a, abs=1e-6)
            assert out.tokens[b, k].tolist() == pytest.approx(s.tolist(), abs=1e-5)


def test_flatten_patches_normalises_each_patch_in_raster_order():
    x = torch.randn(1, 3, 2, 2)
    flat = flatten_patches(x)
    assert flat.shape == (1, 4, 3)
    assert torch.allclose(flat[0, 1], x[0, :, 0, 1] / x[0, :, 0, 1].norm())


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
