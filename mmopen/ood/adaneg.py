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

Differences from the release, deliberate: ``memory_size`` image slots are kept (the release
allocates ``memleng`` slots but fills at most ``memleng - 1``); ``beta`` is a float (the release
truncates 5.5 to 5, which is the default here); the stream is seeded (the release shuffles with
an unseeded loader).
"""
from typing import Optional

import torch
import torch.nn.functional as F

from .scores import neglabel


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
    logp = torch.log_softmax(logits, dim=1)
    return -(logp.exp() * logp).sum(dim=1)


class AdaNegMemory:
    """The memory of every proxy (``C`` ID classes then ``N`` negatives) and its proxies.

    Slot 0 of each row is the proxy's text embedding; slots ``1..memory_size`` hold image
    features (zero while empty: a zero vector adds nothing to a sum, as in the release)."""

    def __init__(self, id_bank: torch.Tensor, neg_bank: torch.Tensor, memory_size: int = 10):
        if memory_size < 1:
            raise ValueError(f'memory_size={memory_size} must be >= 1.')
        self.num_classes = id_bank.shape[0]
        self.text = torch.cat([id_bank, neg_bank]).float()
        p, d = self.text.shape
        self.size = memory_size
        self.slots = torch.zeros(p, memory_size + 1, d)
        self.slots[:, 0] = self.text
        self.entropy = torch.zeros(p, memory_size)
        self.count = torch.zeros(p, dtype=torch.long)
        self.sums = self.text.clone()
        self.proxies = self.text.clone()

    def write(self, row: int, feature: torch.Tensor, entropy: float) -> bool:
        """Store ``feature`` in ``row``'s memory; returns whether it was stored."""
        n = int(self.count[row])
        if n < self.size:
            slot = n
            self.count[row] += 1
        else:
            slot = int(torch.argmax(self.entropy[row]))
            if not entropy < float(self.entropy[row, slot]):
                return False
            self.sums[row] -= self.slots[row, slot + 1]
        self.slots[row, slot + 1] = feature
        self.entropy[row, slot] = entropy
        self.sums[row] += feature
        self.proxies[row] = F.normalize(self.sums[row], dim=0)
        return True

    def adaptive_sims(self, feats: torch.Tensor, sims: torch.Tensor,
                      sample_adaptive: bool = False, beta: float = 5.0) -> torch.Tensor:
        """``x . p_j`` for every proxy: the text similarities ``sims`` where a memory is empty
        (its proxy is its text embedding), recomputed where it is not."""
        out = sims.clone()
        rows = torch.nonzero(self.count > 0).flatten()
        if rows.numel() == 0:
            return out
        if not sample_adaptive:
            out[:, rows] = feats @ self.proxies[rows].T
            return out
        m = self.slots[rows]  # T x (L+1) x D
        xm = torch.einsum('bd,tld->btl', feats, m)
        w = torch.exp(-beta * (1.0 - xm))  # empty slots are zero vectors: they add nothing
        gram = m @ m.transpose(1, 2)  # T x (L+1) x (L+1)
        norm2 = torch.einsum('btl,tlk,btk->bt', w, gram, w)
        out[:, rows] = (w * xm).sum(dim=2) / norm2.clamp_min(1e-24).sqrt()
        return out


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
                  batch_size: int = 256) -> torch.Tensor:
    """AdaNeg scores of L2-normalised image ``features`` given **in stream order** (one
    stream: one memory, reset at the call). Returns one score per feature, higher = more ID.

    Args:
        id_bank / neg_bank: L2-normalised text embeddings (``C x D`` / ``N x D``).
        groups / seed / neg_grouped: NegLabel's grouping of the negatives (see
            :func:`mmopen.ood.neglabel`).
        threshold / gap: the write gates ``t + g (1 - t)`` (ID) and ``t - g t`` (negatives).
        batch_size: the stream is processed in batches; writes of a batch precede its scores.
    """
    if features.ndim != 2 or features.shape[1] != id_bank.shape[1]:
        raise ValueError(f'features must be B x {id_bank.shape[1]}, got '
                         f'{tuple(features.shape)}.')
    if batch_size < 1:
        raise ValueError(f'batch_size={batch_size} must be >= 1.')
    c = id_bank.shape[0]
    memory = AdaNegMemory(id_bank, neg_bank, memory_size)
    hi, lo = threshold + gap * (1 - threshold), threshold - gap * threshold

    n = neg_bank.shape[0]
    keep = n - n % groups  # grouped banks keep their remainder last (unused, as NegLabel's)

    def grouped_score(s):
        if neg_grouped:
            return neglabel(s[:, :c], s[:, c:c + keep], tau, groups, grouped=True)
        return neglabel(s[:, :c], s[:, c:], tau, groups, seed)

    out = []
    for start in range(0, features.shape[0], batch_size):
        f = features[start:start + batch_size].float()
        sims = f @ memory.text.T
        gate = grouped_score(sims)
        id_logits, neg_logits = sims[:, :c] / tau, sims[:, c:] / tau
        for rows, logits, offset in ((torch.nonzero(gate > hi).flatten(), id_logits, 0),
                                     (torch.nonzero(gate < lo).flatten(), neg_logits, c)):
            if rows.numel():
                targets = logits[rows].argmax(dim=1) + offset
                entropies = _entropy(logits[rows])
                for i, row, e in zip(rows.tolist(), targets.tolist(), entropies.tolist()):
                    memory.write(row, f[i], e)
        ada = memory.adaptive_sims(f, sims, sample_adaptive, beta)
        out.append(grouped_score(ada) + lambda_vanilla * gate)
    return torch.cat(out) if out else features.new_zeros(0)
