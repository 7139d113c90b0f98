"""AdaNeg in the release's mode against a port of the release's memory loop
(``TTAPromptPostprocessor_noadagap.postprocess``), written here from its logic: a memory of
``1 + memleng`` rows per proxy (the text feature, then zeros), a counter from 1 that stops at
``memleng`` (so ``memleng - 1`` images), the negative target over all negatives with the
dropped tail, entropies with ``log(p + 1e-8)``, replacement of the largest stored entropy, the
proxy as the mean of the rows (task-adaptive) or their similarity-weighted sum
(sample-adaptive), and the grouped score with the tail dropped and the rest permuted by
``torch.randperm`` after ``torch.manual_seed(0)``."""
import pytest
import torch
import torch.nn.functional as F

from mmopen.ood.adaneg import adaneg_scores

C, N, GROUPS, D = 4, 13, 5, 16  # 13 negatives in 5 groups: the last 3 are dropped


def _grouped(logits, c, groups):
    pos, neg = logits[:, :c], logits[:, c:]
    drop = neg.shape[1] % groups
    if drop > 0:
        neg = neg[:, :-drop]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        idx = torch.randperm(neg.shape[1])
    neg = neg.T[idx].T.reshape(pos.shape[0], groups, -1)
    scores = [torch.cat([pos, neg[:, i]], dim=-1).softmax(-1)[:, :c].sum(-1)
              for i in range(groups)]
    return torch.stack(scores, -1).mean(-1)


def _release(feats, text, memleng, samada=False, beta=5, thres=0.5, gap=0.5, lam=0.1,
             scale=100.0, batch=8):
    p = text.shape[0]
    mem = torch.cat([text[:, None], torch.zeros(p, memleng, D, dtype=text.dtype)], 1)
    indice = torch.ones(p)
    ent_mem = torch.zeros(p, memleng + 1, dtype=text.dtype)
    out, replaced = [], 0
    for s in range(0, feats.shape[0], batch):
        f = feats[s:s + batch]
        vanilla = scale * f @ text.T
        conf_v = _grouped(vanilla, C, GROUPS)
        for active, lo in ((conf_v > thres + gap * (1 - thres), 0),
                           (conf_v < thres - gap * thres, C)):
            part = vanilla[:, :C] if lo == 0 else vanilla[:, C:]
            pred = part.argmax(1)
            prob = part.softmax(1)
            for i in range(f.shape[0]):
                if not active[i]:
                    continue
                cate = int(pred[i]) + lo
                e = -(prob[i] * torch.log(prob[i] + 1e-8)).sum()
                if indice[cate] == memleng:
                    if (e < ent_mem[cate]).sum() == 0:
                        continue
                    j = int(torch.argmax(ent_mem[cate]))
                    mem[cate, j], ent_mem[cate, j] = f[i], e
                    replaced += 1
                else:
                    k = int(indice[cate])
                    mem[cate, k], ent_mem[cate, k] = f[i], e
                    indice[cate] += 1
        if samada:
            w = torch.exp(-beta * (1 - mem @ f.T))  # P x L x B
            proxies = F.normalize(torch.einsum('plb,pld->bpd', w, mem), dim=-1)
            adaptive = scale * torch.einsum('bd,bpd->bp', f, proxies)
        else:
            adaptive = scale * f @ F.normalize(mem.mean(1), dim=-1).T
        out.append(_grouped(adaptive, C, GROUPS) + lam * conf_v)
    return torch.cat(out), indice - 1, replaced


@pytest.fixture(scope='module')
def stream():
    """Text embeddings and a stream of images near ID classes and near negatives, the dropped
    tail's included, so every memory fills and replaces. The embeddings share a direction, so
    at CLIP's scale (100) the softmaxes are not one-hot: entropies near 0 would be ordered by the
    release's ``1e-8`` rather than by the images."""
    gen = torch.Generator().manual_seed(0)
    common = torch.randn(1, D, generator=gen, dtype=torch.float64)
    text = F.normalize(common + 0.3 * torch.randn(C + N, D, generator=gen,
                                                   dtype=torch.float64), dim=1)
    near = torch.randint(0, C + N, (128, ), generator=gen)
    feats = F.normalize(text[near] + 0.1 * torch.randn(128, D, generator=gen,
                                                       dtype=torch.float64), dim=1)
    return text, feats


@pytest.mark.parametrize('samada', [False, True])
def test_release_mode_matches_the_released_memory_loop(stream, samada):
    text, feats = stream
    memleng = 4
    ref, stored, replaced = _release(feats, text, memleng, samada=samada)
    assert stored.max() == memleng - 1  # the release's memory holds memleng - 1 images
    assert replaced > 0  # full memories took lower-entropy images
    assert stored[C + N - 3:].sum() > 0  # images were written to the dropped tail
    got = adaneg_scores(feats.float(), text[:C].float(), text[C:].float(), tau=0.01,
                        groups=GROUPS, seed=0, memory_size=memleng - 1, batch_size=8,
                        sample_adaptive=samada, beta=5.0, target_negatives='all')
    # float32 here against float64 in the port; scores are sums of softmax masses in [0, 1.1]
    assert torch.allclose(got.double(), ref, atol=2e-5), (got.double() - ref).abs().max()
    # the two release details this mode exists for change the scores here
    for other in (dict(memory_size=memleng - 1, target_negatives='kept'),
                  dict(memory_size=memleng, target_negatives='all')):
        alt = adaneg_scores(feats.float(), text[:C].float(), text[C:].float(), tau=0.01,
                            groups=GROUPS, seed=0, batch_size=8, sample_adaptive=samada,
                            beta=5.0, **other)
        assert (alt.double() - ref).abs().max() > 1e-3, other


def test_release_mode_with_a_bank_stored_in_group_order(stream):
    """The classifier stores the negatives as [grouped | dropped tail]: the same scores."""
    from mmopen.ood.scores import neglabel_group_index
    text, feats = stream
    order = neglabel_group_index(N, GROUPS, 0).flatten()
    rest = torch.tensor([i for i in range(N) if i not in set(order.tolist())])
    stored = text[C:][torch.cat([order, rest])]
    a = adaneg_scores(feats.float(), text[:C].float(), text[C:].float(), groups=GROUPS,
                      memory_size=3, batch_size=8, target_negatives='all')
    b = adaneg_scores(feats.float(), text[:C].float(), stored.float(), groups=GROUPS,
                      memory_size=3, batch_size=8, target_negatives='all', neg_grouped=True)
    assert torch.allclose(a, b, atol=1e-6)


def test_negatives_stacked_adjectives_first_as_the_release():
    """``neg_adjectives_first``: the bank is [adjectives | nouns] (each in file order), the
    order the release draws its group permutation over; the default stays [nouns | adjectives]."""
    from mmopen.ood.neg_bank import load_neg_bank
    from mmopen.ood.neg_labels import NegLabels

    class Encoder:
        def text_embeddings(self, classes, templates):
            return torch.tensor([[float(len(c[0])), float(templates[0] == 'adj {}')]
                                 for c in classes])

    labels = NegLabels(['ab', 'abc'], ['a', 'abcd', 'abcde'])
    first = load_neg_bank(Encoder(), labels, ('noun {}', ), ('adj {}', ), adjectives_first=True)
    assert first[:, 0].tolist() == [1, 4, 5, 2, 3] and first[:, 1].tolist() == [1, 1, 1, 0, 0]
    default = load_neg_bank(Encoder(), labels, ('noun {}', ), ('adj {}', ))
    assert default[:, 0].tolist() == [2, 3, 1, 4, 5]
