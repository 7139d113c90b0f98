"""GL-MCM and CSP against references written here (loops over samples, patches and
candidates)."""
import math
import random

import pytest
import torch
import torch.nn.functional as F

from mmopen.models.ood.score_components import CSPScore, GLMCMScore, NegLabelScore
from mmopen.ood.csp import (CSP_NOUN_TEMPLATES, CSP_SUPERCLASSES, CSP_TEMPLATES, conjugated_labels,
                            mine_csp_labels)
from mmopen.ood.neg_labels import NegLabels, read_neg_labels, write_neg_labels
from mmopen.ood.scores import gl_mcm


def softmax_list(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def test_gl_mcm_matches_loop():
    g = torch.Generator().manual_seed(0)
    id_sims = torch.rand(4, 5, generator=g) * 0.4
    local = torch.rand(4, 7, 5, generator=g) * 0.4
    for t, lam in ((1.0, 1.0), (0.05, 0.5)):
        ours = gl_mcm(id_sims, local, t, lam)
        for b in range(4):
            glob = max(softmax_list([v / t for v in id_sims[b].tolist()]))
            best_local = max(max(softmax_list([v / t for v in local[b, p].tolist()]))
                             for p in range(7))
            assert ours[b].item() == pytest.approx(glob + lam * best_local, abs=1e-6)
    # the local term matters: a sample whose one patch matches a class strongly wins
    local2 = local.clone()
    local2[0, 3] = torch.tensor([0.9, 0.0, 0.0, 0.0, 0.0])
    assert gl_mcm(id_sims, local2, 0.05)[0] > gl_mcm(id_sims, local, 0.05)[0]
    assert GLMCMScore(temperature=0.05)(id_sims, local_sims=local).shape == (4, )
    with pytest.raises(ValueError, match='per-patch'):
        GLMCMScore()(id_sims)


def test_conjugated_labels_one_seeded_superclass_per_adjective():
    adjs = [f'adj{i}' for i in range(200)]
    labels = conjugated_labels(adjs, seed=0)
    assert labels == conjugated_labels(adjs, seed=0)
    assert labels != conjugated_labels(adjs, seed=1)
    rng = random.Random(0)
    assert labels == [f'{a} {rng.choice(list(CSP_SUPERCLASSES))}' for a in adjs]
    assert len({lab.split(' ', 1)[1] for lab in labels}) == len(CSP_SUPERCLASSES)
    assert len(CSP_SUPERCLASSES) == 14 and len(CSP_TEMPLATES) == 4
    assert len(CSP_NOUN_TEMPLATES) == 8


def test_mine_csp_labels_matches_reference():
    """Reference: per candidate, the 0.95 quantile of its similarities to the ID classes
    (numpy-style linear interpolation, written out), pushed to 1.0 if its maximum exceeds the
    cutoff; the lowest 15% of the nouns and, separately, of the conjugated labels."""
    d, c = 8, 6
    id_emb = F.normalize(torch.randn(c, d, generator=torch.Generator().manual_seed(1)), dim=-1)
    nouns = [f'noun{i}' for i in range(40)]
    adjs = [f'adj{i}' for i in range(40)]
    calls = []

    def encode(words, templates):
        calls.append((list(words), tuple(templates)))
        out = []
        for w in words:
            seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(w))
            out.append(torch.randn(d, generator=torch.Generator().manual_seed(seed)))
        out = F.normalize(torch.stack(out), dim=-1)
        if words[0] == 'noun0':  # one noun nearly equal to an ID class: the cutoff drops it
            out[1] = id_emb[2]
        return out

    got = mine_csp_labels(encode, id_emb, nouns, adjs, quantile=0.95, ratio=0.15,
                          max_sim_cutoff=0.95, seed=0)
    assert calls[0][1] == CSP_NOUN_TEMPLATES and calls[1][1] == CSP_TEMPLATES
    assert calls[1][0] == conjugated_labels(adjs, seed=0)

    def ref_pick(words, emb):
        scores = []
        for e in emb:
            sims = sorted(float(e @ t) for t in id_emb)
            pos = 0.95 * (len(sims) - 1)
            lo = int(math.floor(pos))
            q = sims[lo] + (sims[min(lo + 1, len(sims) - 1)] - sims[lo]) * (pos - lo)
            scores.append(1.0 if sims[-1] > 0.95 else q)
        order = sorted(range(len(words)), key=lambda i: (scores[i], i))
        return [words[i] for i in order[:int(len(words) * 0.15)]]

    conj = conjugated_labels(adjs, seed=0)
    assert got.nouns == ref_pick(nouns, encode(nouns, CSP_NOUN_TEMPLATES))
    assert list(got.conjugated) == ref_pick(conj, encode(conj, CSP_TEMPLATES))
    assert got.adjectives == [] and 'noun1' not in got.nouns


def test_csp_label_file_round_trip_and_score(tmp_path):
    labels = NegLabels(['kite', 'volcano'], [], ('squishy object', 'lively scene'))
    path = str(tmp_path / 'csp.txt')
    write_neg_labels(path, labels, header=['csp'])
    assert read_neg_labels(path) == labels
    with open(path) as f:
        assert 'csp\tsquishy object\n' in f.read()
    # CSP's score is NegLabel's formula with NegLabel's defaults
    sims = torch.rand(3, 4), torch.rand(3, 300)
    assert torch.equal(CSPScore()(*sims), NegLabelScore()(*sims))
    assert CSPScore().name == 'CSP'
