"""OOD scores against straightforward references; batch independence."""
import math

import numpy as np
import pytest
import torch

from mmopen.ood import scores as S


def _sims(b, n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, n, generator=g) * 0.4  # cosine similarities of CLIP-like spread


def _lse(x):
    m = max(x)
    return m + math.log(sum(math.exp(v - m) for v in x))


def test_simple_scores_match_formulas():
    id_sims = _sims(7, 11, 0)
    tau, temp = 0.01, 2.0
    for i, row in enumerate(id_sims.double().tolist()):
        s = [v / tau for v in row]
        assert S.msp(id_sims, tau)[i].item() == pytest.approx(math.exp(max(s) - _lse(s)), rel=1e-5)
        assert S.max_logit(id_sims, tau)[i].item() == pytest.approx(max(s), rel=1e-6)
        assert S.energy(id_sims, tau, temp)[i].item() == pytest.approx(
            temp * _lse([v / temp for v in s]), rel=1e-6)
        c = [v / temp for v in row]
        assert S.mcm(id_sims, temp)[i].item() == pytest.approx(math.exp(max(c) - _lse(c)),
                                                               rel=1e-5)


def _neglabel_loop(id_sims, neg_sims, tau, groups, seed):
    """A plain per-sample, per-group loop over the grouping rule: drop the last N mod G
    negatives, permute the rest with ``seed``, split into G groups, average the ID mass."""
    n = neg_sims.shape[1]
    keep = n - n % groups
    perm = torch.randperm(keep, generator=torch.Generator().manual_seed(seed)).tolist()
    size = keep // groups
    out = []
    for b in range(id_sims.shape[0]):
        s_id = [v / tau for v in id_sims[b].double().tolist()]
        neg = [neg_sims[b, j].item() / tau for j in perm]
        total = 0.0
        for g in range(groups):
            group = neg[g * size:(g + 1) * size]
            all_logits = s_id + group
            denom = _lse(all_logits)
            total += sum(math.exp(v - denom) for v in s_id)
        out.append(total / groups)
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize('groups,n_neg', [(1, 30), (5, 30), (7, 53), (100, 1009)])
def test_neglabel_equals_group_loop(groups, n_neg):
    id_sims, neg_sims = _sims(6, 10, 1), _sims(6, n_neg, 2)
    got = S.neglabel(id_sims, neg_sims, tau=0.01, groups=groups, seed=3)
    ref = _neglabel_loop(id_sims, neg_sims, 0.01, groups, 3)
    assert torch.allclose(got.double(), ref, atol=1e-6)


def test_neglabel_pre_grouped_bank_equals_gather():
    id_sims, neg_sims = _sims(4, 10, 1), _sims(4, 103, 2)
    index = S.neglabel_group_index(103, 10, seed=5)
    grouped = S.neglabel(id_sims, neg_sims[:, index.flatten()], groups=10, grouped=True)
    assert torch.allclose(grouped, S.neglabel(id_sims, neg_sims, groups=10, seed=5))


def test_neglabel_errors():
    with pytest.raises(ValueError, match='at least as many negative labels as groups'):
        S.neglabel(_sims(2, 3, 0), _sims(2, 5, 0), groups=10)
    with pytest.raises(ValueError, match='batch size'):
        S.neglabel(_sims(2, 3, 0), _sims(3, 50, 0), groups=10)


@pytest.mark.parametrize('top_c,crop', [(1, 0.0), (3, 0.0), (2, 0.1)])
def test_delta_energy_equals_formula(top_c, crop):
    id_sims = _sims(5, 9, 4)
    tau = 0.01
    got = S.delta_energy(id_sims, tau, top_c, crop)
    for i, row in enumerate(id_sims.double().tolist()):
        s = [v / tau for v in row]
        order = np.argsort(s)[::-1][:top_c]
        cropped = [crop / tau if j in set(order.tolist()) else v for j, v in enumerate(s)]
        # ΔE = E(s') - E(s), E = -logsumexp
        assert got[i].item() == pytest.approx(-_lse(cropped) + _lse(s), rel=1e-5, abs=1e-4)


def test_delta_energy_argument_check():
    with pytest.raises(ValueError, match='top_c'):
        S.delta_energy(_sims(2, 3, 0), top_c=4)


@pytest.mark.parametrize('fn', [
    lambda a, b: S.msp(a), lambda a, b: S.max_logit(a), lambda a, b: S.energy(a),
    lambda a, b: S.mcm(a), lambda a, b: S.neglabel(a, b, groups=8),
    lambda a, b: S.delta_energy(a, top_c=2)
], ids=['msp', 'maxlogit', 'energy', 'mcm', 'neglabel', 'delta_energy'])
def test_score_of_a_sample_does_not_depend_on_its_batch(fn):
    id_sims, neg_sims = _sims(16, 20, 7), _sims(16, 90, 8)
    full = fn(id_sims, neg_sims)
    singles = torch.cat([fn(id_sims[i:i + 1], neg_sims[i:i + 1]) for i in range(16)])
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(0))
    shuffled = fn(id_sims[perm], neg_sims[perm])
    assert torch.allclose(full, singles, rtol=1e-6, atol=1e-7)
    assert torch.allclose(full[perm], shuffled, rtol=1e-6, atol=1e-7)


def test_registered_components(tmp_path):
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS

    from mmopen.models.ood import build_scores
    scores = build_scores([dict(type='MSPScore'), dict(type='NegLabelScore', groups=4),
                           dict(type='DeltaEnergyScore', top_c=2, name='dE2')])
    assert [s.name for s in scores] == ['MSP', 'NegLabel', 'dE2']
    id_sims, neg_sims = _sims(3, 5, 0), _sims(3, 20, 1)
    assert torch.allclose(scores[1](id_sims, neg_sims), S.neglabel(id_sims, neg_sims, groups=4))
    with pytest.raises(ValueError, match='needs negative-label'):
        scores[1](id_sims)
    with pytest.raises(ValueError, match='unique'):
        build_scores([dict(type='MSPScore'), dict(type='MSPScore')])
    for t in ('MSPScore', 'MaxLogitScore', 'EnergyScore', 'MCMScore', 'NegLabelScore',
              'DeltaEnergyScore'):
        assert MODELS.get(t) is not None
