"""AdaNeg: test-time adaptive negative proxies (Zhang et al., NeurIPS 2024).

NegLabel compares an image with fixed text proxies: the ID class names and the negative labels.
AdaNeg makes the proxies *adapt to the test data*: while the test stream goes by, confidently ID
images are written into a memory per ID class and confidently OOD images into a memory per
negative label; a proxy becomes the mean direction of its text embedding and its memory, so the
negative proxies move towards the OOD images that actually occur. As in the release
(``YBZh/OpenOOD-VLM``, ``TTAPromptPostprocessor_noadagap``, ImageNet script), per batch of the
stream:

1. ``s = cos / tau`` against the text bank; the gate is NegLabel's grouped score
   ``S_vanilla`` (:func:`mmopen.ood.neglabel`, ``groups = 5``, the permutation of ``seed``).
2. Memory writes, sample by sample in stream order: ``S_vanilla > t + g (1 - t)`` (0.75 with
   ``t = g = 0.5``) writes the image feature into the memory of its top ID class,
   ``S_vanilla < t - g t`` (0.25) into that of its top negative label. A memory holds
   ``memory_size`` features; when full, the new feature replaces the stored one of largest
   entropy if its own entropy is lower (entropy of the softmax over the ID logits, resp. over
   the negative logits), else it is dropped.
3. Proxies: *task-adaptive* (default) ``p_j = normalise(t_j + sum_m m)`` (the mean direction of
   the text embedding and the memory); *sample-adaptive* (``sample_adaptive=True``)
   ``p_j(x) = normalise(sum_{m in {t_j} + memory} exp(-beta (1 - x.m)) m)``.
4. Score: ``S = S_ada + lambda * S_vanilla`` with ``S_ada`` NegLabel's grouped score on
   ``x.p_j / tau`` (``lambda = 0.1``). The batch is scored after its own writes.

The memory is reset for every OOD set; the stream is the ID set and one OOD set shuffled with
``seed`` (:func:`stream_order`), optionally at a fixed ID:OOD ratio. **The result depends on the
order**: report it with the seed (and ratio) used.

The release's settings (``scripts/ood/adaneg/imagenet.sh``, ``memleng 10``): a memory holds
``memleng - 1`` = 9 images (it allocates ``memleng`` slots after the text feature and fills
them while its counter, which starts at 1, is below ``memleng``): ``memory_size=9`` here;
``beta`` 5.5 is truncated to the integer 5 (the default here); with a pool whose size is not a
multiple of ``groups`` the negative an image is written to is the argmax over *all* negatives,
the dropped tail included, with the entropy over all of them (``target_negatives='all'``; a
write to a dropped negative changes no score, as its proxy is never read), where mmopen's
default picks among the negatives the score reads (``'kept'``). The group permutation is
``torch.randperm`` of the kept negatives from seed 0 on the CPU generator in both, over the
bank as the classifier stacks it (the release: adjectives, then nouns;
``CLIPOODClassifier(neg_adjectives_first=True)``). The
configs of ``configs/ood/adaneg/`` use the release's settings. What stays different: the
stream is seeded (the release shuffles with an unseeded loader), and an entropy is computed
exactly (the release adds ``1e-8`` inside the logarithm).
"""
from typing import Optional

import torch
import torch.nn.functional as F

from .scores import neglabel_group_index


def stream_order(num_id: int, num_ood: int, seed: int = 0,
                 id_ood_ratio: Optional[float] = None) -> torch.Tensor:
    """The test stream of one OOD set: indices into ``[ID samples; OOD samples]`` (OOD sample
    ``k`` is ``num_id + k``), shuffled with ``seed``.

    ``id_ood_ratio = None`` uses every sample of both sets; a number ``r`` keeps ``r`` ID samples
    per OOD sample (as many of both as that allows), each subset drawn with ``seed``.
    """
    if num_id < 1 or num_ood < 1:
        raise ValueError(f'A stream needs ID and OOD samples, got {num_id} ID and {num_ood} OOD.')
    gen = torch.Generator().manual_seed(seed)
    ids, oods = torch.arange(num_id), torch.arange(num_ood) + num_id
    if id_ood_ratio is not None:
        if id_ood_ratio <= 0:
            raise ValueError(f'id_ood_ratio={id_ood_ratio} must be > 0 (ID samples per OOD '
                             'sample), or None for all samples.')
        n_ood = min(num_ood, int(num_id / id_ood_ratio))
        n_id = min(num_id, int(round(id_ood_ratio * n_ood)))
        if n_ood < 1 or n_id < 1:
            raise ValueError(f'id_ood_ratio={id_ood_ratio} leaves no sample of one side '
                             f'({num_id} ID, {num_ood} OOD).')
        ids = ids[torch.randperm(num_id, generator=gen)[:n_id]]
        oods = oods[torch.randperm(num_ood, generator=gen)[:n_ood]]
    both = torch.cat([ids, oods])
    return both[torch.randperm(both.numel(), generator=gen)]


def _entropy(logits: torch.Tensor) -> torch.Tensor:
    # log-probabilities below -80 contribute less than 1e-33 each; clamping them keeps exp()
    # out of float32's denormal range, which is an order of magnitude slower on CPUs
    logp = torch.log_softmax(logits, dim=1).clamp_min(-80.0)
    return -(logp.exp() * logp).sum(dim=1)


class AdaNegMemory:
    """The memory of every proxy (``C`` ID classes then ``N`` negatives) and its proxies.

    A proxy's memory holds up to ``memory_size`` image features; storage is allocated for the
    proxies that get one (a pool that grows), not for all ``C + N``. ``sums[j]`` is the text
    embedding plus the stored features, so the task-adaptive proxy is ``normalise(sums[j])``.
    """

    def __init__(self, id_bank: torch.Tensor, neg_bank: torch.Tensor, memory_size: int = 10):
        if memory_size < 1:
            raise ValueError(f'memory_size={memory_size} must be >= 1.')
        self.num_classes = id_bank.shape[0]
        self.text = torch.cat([id_bank, neg_bank]).float()
        p, d = self.text.shape
        self.size = memory_size
        self.pool = torch.zeros(64, memory_size, d)
        self.pool_index = torch.full((p, ), -1, dtype=torch.long)
        self.entropies = {}  # row -> entropies of its stored features, in slot order
        self.sums = self.text.clone()
        self._proxies = self.text.clone()
        self._dirty = set()

    @property
    def count(self) -> torch.Tensor:
        """Stored features per proxy (``C + N``)."""
        out = torch.zeros(self.text.shape[0], dtype=torch.long)
        for row, ents in self.entropies.items():
            out[row] = len(ents)
        return out

    def stored(self, row: int) -> torch.Tensor:
        """The features stored for proxy ``row`` (``n x D``)."""
        n = len(self.entropies.get(row, ()))
        return self.pool[int(self.pool_index[row]), :n] if n else self.text.new_zeros(0, 0)

    @property
    def proxies(self) -> torch.Tensor:
        """Task-adaptive proxies ``normalise(t_j + sum of stored features)`` (``(C + N) x D``)."""
        if self._dirty:
            rows = torch.tensor(sorted(self._dirty))
            self._proxies[rows] = F.normalize(self.sums[rows], dim=1)
            self._dirty.clear()
        return self._proxies

    def write(self, row: int, feature: torch.Tensor, entropy: float) -> bool:
        """Store ``feature`` in ``row``'s memory; returns whether it was stored. When full, it
        replaces the stored feature of largest entropy (the first of equals) if its own entropy
        is lower."""
        ents = self.entropies.get(row)
        if ents is None:
            ents = self.entropies[row] = []
            index = len(self.entropies) - 1
            if index == self.pool.shape[0]:
                self.pool = torch.cat([self.pool, torch.zeros_like(self.pool)])
            self.pool_index[row] = index
        slots = self.pool[int(self.pool_index[row])]
        if len(ents) < self.size:
            slot = len(ents)
            ents.append(entropy)
        else:
            slot = max(range(self.size), key=ents.__getitem__)
            if not entropy < ents[slot]:
                return False
            self.sums[row] -= slots[slot]
            ents[slot] = entropy
        slots[slot] = feature
        self.sums[row] += feature
        self._dirty.add(row)
        return True

    def adaptive_sims(self, feats: torch.Tensor, sims: torch.Tensor,
                      sample_adaptive: bool = False, beta: float = 5.0,
                      scale: float = 1.0) -> torch.Tensor:
        """``scale * x . p_j`` for every proxy, written into ``sims`` (``scale * x . t_j``, the
        value for a proxy without memory, whose proxy is its text embedding) in place."""
        rows = torch.tensor(sorted(self.entropies), dtype=torch.long)
        if rows.numel() == 0:
            return sims
        if not sample_adaptive:
            sims[:, rows] = feats @ (self.proxies[rows] * scale).T
            return sims
        # the text embedding and the memory slots (zero while empty: they add nothing)
        m = torch.cat([self.text[rows, None], self.pool[self.pool_index[rows]]], dim=1)
        for i, row in enumerate(rows.tolist()):
            m[i, 1 + len(self.entropies[row]):] = 0
        xm = torch.einsum('bd,tld->btl', feats, m)
        w = torch.exp(-beta * (1.0 - xm))
        gram = m @ m.transpose(1, 2)  # T x (L+1) x (L+1)
        norm2 = torch.einsum('btl,tlk,btk->bt', w, gram, w)
        sims[:, rows] = scale * (w * xm).sum(dim=2) / norm2.clamp_min(1e-24).sqrt()
        return sims


def grouped_bank(neg_bank: torch.Tensor, groups: int, seed: int = 0,
                 neg_grouped: bool = False) -> torch.Tensor:
    """The negatives AdaNeg keeps, in NegLabel's group order: the first ``N - N mod groups``
    permuted with ``seed`` (:func:`mmopen.ood.neglabel_group_index`), or, for a bank already
    stored in that order (``neg_grouped``), its first ``N - N mod groups`` rows. Stored once in
    this order, every grouped score is a reshape, not a gather; memory rows follow it (the
    scores do not depend on the storage order)."""
    n = neg_bank.shape[0]
    if not neg_grouped:
        return neg_bank[neglabel_group_index(n, groups, seed).flatten()]
    return neg_bank[:n - n % groups]


def _grouped(logits: torch.Tensor, c: int, groups: int) -> torch.Tensor:
    """NegLabel's grouped score of logits ``[ID (c) | negatives in group order]`` (eq. 4 with
    grouping; :func:`mmopen.ood.neglabel` with ``grouped=True``, on logits already divided by
    ``tau``, without copies)."""
    b = logits.shape[0]
    lse_id = torch.logsumexp(logits[:, :c], dim=1)
    lse_neg = torch.logsumexp(logits[:, c:].reshape(b, groups, -1), dim=2)
    return torch.sigmoid(lse_id[:, None] - lse_neg).mean(dim=1)


def adaneg_scores(features: torch.Tensor,
                  id_bank: torch.Tensor,
                  neg_bank: torch.Tensor,
                  tau: float = 0.01,
                  groups: int = 5,
                  seed: int = 0,
                  neg_grouped: bool = False,
                  memory_size: int = 10,
                  threshold: float = 0.5,
                  gap: float = 0.5,
                  lambda_vanilla: float = 0.1,
                  sample_adaptive: bool = False,
                  beta: float = 5.0,
                  batch_size: int = 256,
                  target_negatives: str = 'kept',
                  _memory: Optional[AdaNegMemory] = None) -> torch.Tensor:
    """AdaNeg scores of L2-normalised image ``features`` given **in stream order** (one
    stream: one memory, reset at the call). Returns one score per feature, higher = more ID.

    Args:
        id_bank / neg_bank: L2-normalised text embeddings (``C x D`` / ``N x D``).
        groups / seed / neg_grouped: NegLabel's grouping of the negatives (see
            :func:`mmopen.ood.neglabel`).
        threshold / gap: the write gates ``t + g (1 - t)`` (ID) and ``t - g t`` (negatives).
        batch_size: the stream is processed in batches; writes of a batch precede its scores.
        target_negatives: the negatives a confidently OOD image may be written to: ``'kept'``
            (those the grouped score reads) or ``'all'`` (the release: the dropped tail too,
            whose memories are never read, so such a write only takes the image out of the
            kept negatives' memories).
        _memory: continue from this memory instead of an empty one (benchmarks).
    """
    if features.ndim != 2 or features.shape[1] != id_bank.shape[1]:
        raise ValueError(f'features must be B x {id_bank.shape[1]}, got '
                         f'{tuple(features.shape)}.')
    if batch_size < 1:
        raise ValueError(f'batch_size={batch_size} must be >= 1.')
    if target_negatives not in ('kept', 'all'):
        raise ValueError(f"target_negatives={target_negatives!r}: 'kept' (the negatives the "
                         "score reads) or 'all' (the release: the dropped tail too).")
    c = id_bank.shape[0]
    n_all = neg_bank.shape[0]
    # the dropped tail: the last N mod groups negatives of the label file, which a bank stored
    # in group order (CLIPOODClassifier) keeps after the grouped ones; scaled once, like the bank
    scaled_tail = (neg_bank[n_all - n_all % groups:].float() / tau
                   if target_negatives == 'all' and n_all % groups else None)
    neg_bank = grouped_bank(neg_bank, groups, seed, neg_grouped)
    keep = neg_bank.shape[0]
    if _memory is None:
        memory = AdaNegMemory(id_bank, neg_bank, memory_size)
    elif not torch.equal(_memory.text, torch.cat([id_bank, neg_bank]).float()):
        raise ValueError('_memory holds another text bank: build it as AdaNegMemory(id_bank, '
                         'grouped_bank(neg_bank, groups, seed, neg_grouped), memory_size).')
    else:
        memory = _memory
    hi, lo = threshold + gap * (1 - threshold), threshold - gap * threshold
    scaled_text = memory.text / tau  # one matmul gives the logits

    out = []
    for start in range(0, features.shape[0], batch_size):
        f = features[start:start + batch_size].float()
        logits = f @ scaled_text.T
        gate = _grouped(logits, c, groups)
        for rows, lo_col, hi_col in ((torch.nonzero(gate > hi).flatten(), 0, c),
                                     (torch.nonzero(gate < lo).flatten(), c, c + keep)):
            if rows.numel():
                block = logits[rows, lo_col:hi_col]
                if lo_col == c and scaled_tail is not None:
                    block = torch.cat([block, f[rows] @ scaled_tail.T], dim=1)
                targets = block.argmax(dim=1) + lo_col
                for i, row, e in zip(rows.tolist(), targets.tolist(),
                                     _entropy(block).tolist()):
                    if row < hi_col:  # a dropped negative's memory is never read
                        memory.write(row, f[i], e)
        # the gate no longer needs the text logits: the adaptive ones are written over them
        ada = memory.adaptive_sims(f, logits, sample_adaptive, beta, scale=1.0 / tau)
        out.append(_grouped(ada, c, groups) + lambda_vanilla * gate)
    return torch.cat(out) if out else features.new_zeros(0)


def stream_state(id_bank: torch.Tensor, neg_bank: torch.Tensor, neg_grouped: bool,
                 settings: dict, stream_seed: int = 0, id_ood_ratio: Optional[float] = None,
                 key: str = '') -> dict:
    """What AdaNeg's stream needs besides the features, as plain values: the text banks (CPU
    float), whether the negatives are already grouped, the :func:`adaneg_scores` settings, the
    stream's order (:func:`stream_order`) and the ``key`` naming this bank and these settings.
    The classifier makes it once; predictions, the metric and the inferencer pass it on."""
    return dict(key=key, id_bank=id_bank.float().cpu(), neg_bank=neg_bank.float().cpu(),
                neg_grouped=bool(neg_grouped), settings=dict(settings),
                stream_seed=int(stream_seed), id_ood_ratio=id_ood_ratio)


def stream_scores(state: dict, features: torch.Tensor) -> torch.Tensor:
    """AdaNeg's scores of ``features`` taken as one test stream in the order given."""
    return adaneg_scores(features, state['id_bank'], state['neg_bank'],
                         neg_grouped=state['neg_grouped'], **state['settings'])


def run_stream(state: dict, id_feats: torch.Tensor, ood_feats: torch.Tensor):
    """The stream of one OOD set: ``(ID scores, OOD scores)`` of the samples in it, each in its
    set's order; the ID and OOD samples are interleaved by :func:`stream_order` (ID samples
    left out by ``id_ood_ratio`` are not scored)."""
    n_id = id_feats.shape[0]
    order = stream_order(n_id, ood_feats.shape[0], state['stream_seed'], state['id_ood_ratio'])
    scores = stream_scores(state, torch.cat([id_feats, ood_feats])[order])
    is_id = order < n_id
    id_pos, ood_pos = order[is_id], order[~is_id]  # back to dataset order within each set
    return (scores[is_id][torch.argsort(id_pos)].double(),
            scores[~is_id][torch.argsort(ood_pos)].double())
