"""AdaNeg against a per-sample reference written here: Python lists for the memories, one
sample at a time, NegLabel's grouped score as an explicit loop over groups."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmopen.models.ood.score_components import AdaNegScore
from mmopen.ood.adaneg import adaneg_scores, stream_order


def ref_neglabel(s_id, s_neg, tau, groups):
    """Mean over groups of the ID probability mass of softmax([s_id, s_neg[g]] / tau)."""
    vals = []
    for g in groups:
        logits = [x / tau for x in s_id] + [s_neg[j] / tau for j in g]
        m = max(logits)
        e = [math.exp(v - m) for v in logits]
        vals.append(sum(e[:len(s_id)]) / sum(e))
    return sum(vals) / len(vals)


def ref_entropy(logits):
    m = max(logits)
    e = [math.exp(v - m) for v in logits]
    z = sum(e)
    return -sum(p / z * math.log(p / z) for p in e if p > 0)


def ref_adaneg(feats, id_bank, neg_bank, tau, n_groups, seed, size, thr, gap, lam, batch,
               sample_adaptive=False, beta=5.0):
    c, n = len(id_bank), len(neg_bank)
    keep = n - n % n_groups
    perm = torch.randperm(keep, generator=torch.Generator().manual_seed(seed)).tolist()
    groups = [perm[i * (keep // n_groups):(i + 1) * (keep // n_groups)] for i in range(n_groups)]
    text = [t for t in id_bank] + [t for t in neg_bank]
    memory = [[] for _ in text]  # lists of [feature, entropy]
    hi, lo = thr + gap * (1 - thr), thr - gap * thr
    out = []
    for start in range(0, len(feats), batch):
        xs = feats[start:start + batch]
        sims = [[float(x @ t) for t in text] for x in xs]
        gates = [ref_neglabel(s[:c], s[c:], tau, groups) for s in sims]
        for which in ('id', 'neg'):
            for x, s, gate in zip(xs, sims, gates):
                if which == 'id' and gate > hi:
                    logits = [v / tau for v in s[:c]]
                    row = max(range(c), key=lambda j: logits[j])
                elif which == 'neg' and gate < lo:
                    # negatives past the last full group are not used at all
                    logits = [v / tau for v in s[c:c + keep]]
                    row = c + max(range(keep), key=lambda j: logits[j])
                else:
                    continue
                e = ref_entropy(logits)
                if len(memory[row]) < size:
                    memory[row].append([x, e])
                else:
                    worst = max(range(size), key=lambda k: (memory[row][k][1], -k))
                    if e < memory[row][worst][1]:
                        memory[row][worst] = [x, e]
        for x, gate in zip(xs, gates):
            ada = []
            for j, t in enumerate(text[:c + keep]):
                members = [t] + [m for m, _ in memory[j]]
                if sample_adaptive:
                    p = sum(math.exp(-beta * (1 - float(x @ m))) * m for m in members)
                else:
                    p = sum(members)
                ada.append(float(x @ (p / p.norm())))
            out.append(ref_neglabel(ada[:c], ada[c:] + [0.0] * (n - keep), tau, groups) +
                       lam * gate)
    return torch.tensor(out)


def toy(seed=0, n=48, c=3, neg=11, d=6):
    g = torch.Generator().manual_seed(seed)
    id_bank = F.normalize(torch.randn(c, d, generator=g), dim=-1)
    neg_bank = F.normalize(torch.randn(neg, d, generator=g), dim=-1)
    # half the samples near an ID class, half near a negative: both memories get written
    centres = torch.cat([id_bank[torch.randint(c, (n // 2,), generator=g)],
                         neg_bank[torch.randint(neg, (n - n // 2,), generator=g)]])
    feats = F.normalize(centres + 0.3 * torch.randn(n, d, generator=g), dim=-1)
    return feats[torch.randperm(n, generator=g)], id_bank, neg_bank


@pytest.mark.parametrize('sample_adaptive', [False, True])
def test_matches_per_sample_reference(sample_adaptive):
    feats, id_bank, neg_bank = toy()
    # tau 0.1 and memory 2 on this toy: gates fall on both sides, memories fill and replace
    kw = dict(tau=0.1, groups=2, seed=3, memory_size=2, threshold=0.5, gap=0.5,
              lambda_vanilla=0.1, batch_size=5, sample_adaptive=sample_adaptive, beta=5.0)
    ours = adaneg_scores(feats, id_bank, neg_bank, **kw)
    ref = ref_adaneg(feats, id_bank, neg_bank, kw['tau'], kw['groups'], kw['seed'],
                     kw['memory_size'], kw['threshold'], kw['gap'], kw['lambda_vanilla'],
                     kw['batch_size'], sample_adaptive, kw['beta'])
    # float32 matmuls against the reference's float32 dot products summed in another order
    assert torch.allclose(ours, ref, atol=1e-5), (ours - ref).abs().max()
    # the memory changed the scores: they are not NegLabel's plus a constant
    from mmopen.ood import neglabel
    vanilla = neglabel(feats @ id_bank.T, feats @ neg_bank.T, 0.1, 2, 3)
    assert (ours - 1.1 * vanilla).abs().max() > 1e-3


def test_memory_writes_and_replacement_are_exercised():
    from mmopen.ood.adaneg import AdaNegMemory
    feats, id_bank, neg_bank = toy()
    mem = AdaNegMemory(id_bank, neg_bank, memory_size=2)
    assert mem.write(0, feats[0], 0.5) and mem.write(0, feats[1], 0.3)
    assert not mem.write(0, feats[2], 0.6)  # full, and not more certain than the worst
    assert mem.write(0, feats[3], 0.1)  # replaces the 0.5 entry
    stored = {tuple(v.tolist()) for v in mem.stored(0)}
    assert stored == {tuple(feats[1].tolist()), tuple(feats[3].tolist())}
    assert mem.count.tolist()[:2] == [2, 0]
    assert torch.allclose(mem.proxies[0], F.normalize(id_bank[0] + feats[1] + feats[3], dim=0))


def test_same_seed_same_result_other_order_other_result():
    feats, id_bank, neg_bank = toy(n=64)
    score = AdaNegScore(tau=0.1, groups=2, memory_size=2, batch_size=4, stream_seed=0)
    score.bind(id_bank, neg_bank, neg_ordered=False)
    id_f, ood_f = feats[:40], feats[40:]
    a = score.run(id_f, ood_f)
    b = score.run(id_f, ood_f)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    other = AdaNegScore(tau=0.1, groups=2, memory_size=2, batch_size=4, stream_seed=1)
    other.bind(id_bank, neg_bank, neg_ordered=False)
    c = other.run(id_f, ood_f)
    assert not torch.allclose(a[0], c[0], atol=1e-4)
    # run() returns scores in each set's own order: the stream (ID and OOD shuffled together by
    # stream_order, seed 0) scored by the loop written above, put back in each set's order
    order = stream_order(40, 24, 0)
    s = score.settings
    manual = ref_adaneg(torch.cat([id_f, ood_f])[order], id_bank, neg_bank, s['tau'],
                        s['groups'], s['seed'], s['memory_size'], s['threshold'], s['gap'],
                        s['lambda_vanilla'], s['batch_size'], s['sample_adaptive'], s['beta'])
    back = torch.empty(64, dtype=torch.float64)
    back[order] = manual.double()
    # float32 matmuls against the loop's dot products summed in another order (as above)
    assert torch.allclose(a[0], back[:40], atol=1e-5) and torch.allclose(a[1], back[40:],
                                                                          atol=1e-5)


def test_stream_order_and_ratio():
    order = stream_order(30, 10, seed=5)
    assert sorted(order.tolist()) == list(range(40))
    assert torch.equal(order, stream_order(30, 10, seed=5))
    assert not torch.equal(order, stream_order(30, 10, seed=6))
    one_to_one = stream_order(30, 10, seed=5, id_ood_ratio=1.0)
    assert (one_to_one < 30).sum() == 10 and (one_to_one >= 30).sum() == 10
    two_to_one = stream_order(30, 50, seed=5, id_ood_ratio=2.0)
    assert (two_to_one < 30).sum() == 30 and (two_to_one >= 30).sum() == 15
    with pytest.raises(ValueError, match='id_ood_ratio'):
        stream_order(30, 10, id_ood_ratio=0)


def test_grouped_bank_gives_the_same_scores():
    """A classifier that stores its negatives in the group order (neg_ordered) must get the
    scores of the file order."""
    from mmopen.ood import neglabel_group_index
    feats, id_bank, neg_bank = toy()
    kw = dict(tau=0.1, groups=2, seed=3, memory_size=2, batch_size=5)
    plain = adaneg_scores(feats, id_bank, neg_bank, **kw)
    order = neglabel_group_index(neg_bank.shape[0], 2, 3).flatten()
    rest = torch.tensor([i for i in range(neg_bank.shape[0]) if i not in set(order.tolist())])
    grouped = adaneg_scores(feats, id_bank, neg_bank[torch.cat([order, rest])],
                            neg_grouped=True, **kw)
    assert torch.allclose(plain, grouped, atol=1e-6)
