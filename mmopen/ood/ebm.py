"""ΔEnergy-based fine-tuning (EBM): a lower bound of ΔEnergy to maximise on ID samples.

Notation as in :func:`mmopen.ood.scores.delta_energy`: logits ``s = cos / tau`` over ``C`` ID
classes, ``lse`` = logsumexp, and for a set ``Y`` of classes ``s'_Y`` is ``s`` with the entries in
``Y`` replaced by the crop logit ``k = crop_value / tau``. ΔEnergy crops the top-c set ``T``:
``ΔE(s) = lse(s) - lse(s'_T)``.

**Bound** (a reconstruction: the paper's exact bound is not published in the material we have).
For a training sample with label ``y`` let ``Y = {y} ∪ (the c-1 largest logits other than y)``
(``Y = {y}`` for ``c = 1``). Then

    ΔE(s) >= lse(s_Y) - lse(s'_Y) >= s_y - lse(s'_Y).

Proof. (i) ``lse(s) >= lse(s_Y)`` because ``s_Y`` (the entries of ``Y``) is a sub-multiset of
``s`` and ``exp > 0``. (ii) ``lse(s'_Y) >= lse(s'_T)``: both vectors hold ``c`` copies of ``k``
plus ``C - c`` uncropped logits; ``T`` removes the ``c`` largest logits, ``Y`` removes ``c``
logits, so the ``i``-th largest uncropped logit of ``s'_Y`` is >= the ``i``-th largest of
``s'_T`` for every ``i``, and ``lse`` is monotone in each entry. Subtracting (ii) from (i) gives
the first inequality; ``lse(s_Y) >= s_y`` gives the second. When ``y`` is the arg-max and
``c = 1``, ``Y = T`` and the first bound is tight up to ``lse(s) - lse(s_Y) = lse(s) - s_y``.

The EBM term maximises the middle expression, i.e. minimises

    L_EBM = lse(s'_Y) - lse(s_Y),

which pushes the ground-truth logit (and, for ``c > 1``, the runner-up logits) up against the
energy of the remaining classes plus the crop value: the shape of the ΔEnergy score at test
time. With cross-entropy ``L = CE(logit_scale * cos, y) + weight * L_EBM`` (weight 1 by
default).

**What the term is for c = 1 and crop value 0.** Then ``Y = {y}``, ``k = 0`` and

    L_EBM = lse(s with s_y replaced by 0) - s_y,   while   CE = lse(s) - s_y:

the same expression except that the ground-truth logit inside the log-sum-exp is replaced by
the constant 0. It is a near-copy of cross-entropy that does not saturate: CE tends to 0 once
``s_y`` dominates (its gradient ``softmax(s)_y - 1`` vanishes), whereas ``L_EBM`` keeps the
gradient ``-1`` on ``s_y`` and keeps pushing the ground-truth logit up (and the others down)
however large the margin already is. The two terms therefore add up to roughly doubled
cross-entropy early in training and to a margin-maximising term late; for ``c > 1`` or a
non-zero crop value the term differs more from cross-entropy.
"""
import torch


def ebm_bound_sets(logits: torch.Tensor, labels: torch.Tensor, top_c: int = 1) -> torch.Tensor:
    """Boolean ``B x C`` mask of ``Y = {y} ∪ top-(c-1) of the other logits``."""
    b, c = logits.shape
    if not 1 <= top_c <= c:
        raise ValueError(f'top_c={top_c} must be between 1 and the number of classes ({c}).')
    mask = torch.zeros_like(logits, dtype=torch.bool)
    mask[torch.arange(b, device=logits.device), labels] = True
    if top_c > 1:
        others = logits.masked_fill(mask, float('-inf'))
        mask.scatter_(1, others.topk(top_c - 1, dim=1).indices, True)
    return mask


def delta_energy_lower_bound(logits: torch.Tensor, labels: torch.Tensor, top_c: int = 1,
                             crop_logit: float = 0.0) -> torch.Tensor:
    """``lse(s_Y) - lse(s'_Y)`` per sample (``B``): a lower bound of ΔEnergy (see module)."""
    mask = ebm_bound_sets(logits, labels, top_c)
    s = logits.float()
    lse_y = torch.logsumexp(s.masked_fill(~mask, float('-inf')), dim=1)
    cropped = s.masked_fill(mask, crop_logit)
    return lse_y - torch.logsumexp(cropped, dim=1)


def ebm_loss(logits: torch.Tensor, labels: torch.Tensor, top_c: int = 1,
             crop_logit: float = 0.0) -> torch.Tensor:
    """Mean of ``-delta_energy_lower_bound`` over the batch."""
    return -delta_energy_lower_bound(logits, labels, top_c, crop_logit).mean()
