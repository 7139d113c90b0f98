"""OOD scores for CLIP classifiers, as pure batched tensor functions.

Every function maps a batch to one score per sample, **higher = more in-distribution**, and is
computed row by row, so a sample's score does not depend on the batch it sits in. Inputs are
cosine similarities between L2-normalised image and text embeddings:

* ``id_sims``:  ``B x C`` similarities to the ID classes' text embeddings,
* ``neg_sims``: ``B x N`` similarities to negative labels (NegLabel only).

``tau`` turns similarities into logits, ``s = cos / tau`` (``tau = 0.01``, i.e. CLIP's logit scale
of 100). References:

* MSP: Hendrycks & Gimpel (2017), ``max_i softmax(s)_i``.
* MaxLogit: Hendrycks et al. (2022), ``max_i s_i``.
* Energy: Liu et al. (2020), ``T * logsumexp(s / T)`` (the negative free energy).
* MCM: Ming et al. (2022), ``max_i softmax(cos / T)_i`` with temperature ``T`` on the raw cosine
  similarities (the paper's default ``T = 1``).
* NegLabel: Jiang et al. (ICLR 2024), eq. (4) with grouping (Sec. 3.3).
* ΔEnergy: energy change when the top-c similarities are cropped (reconstructed from the paper's
  abstract and figure captions; see :func:`delta_energy`).
* GL-MCM: Miyai et al. (2023), MCM of the global embedding plus ``lambda`` times the largest
  per-patch MCM (:func:`gl_mcm`; ``local_sims``: ``B x P x C`` patch similarities).
* CSP: Chen et al. (NeurIPS 2024), NegLabel's score over a negative pool extended with
  conjugated superclass labels (:func:`neglabel` on that pool; the pool is mined in
  :mod:`mmopen.ood.csp`).
* AdaNeg: Zhang et al. (NeurIPS 2024), a test-time score over a stream (:mod:`mmopen.ood.adaneg`).
"""
from typing import Optional

import torch


def _check(sims: torch.Tensor, name: str = 'id_sims') -> None:
    if sims.ndim != 2 or sims.shape[1] == 0:
        raise ValueError(f'{name} must be a B x C tensor with C >= 1, got shape '
                         f'{tuple(sims.shape)}.')


def msp(id_sims: torch.Tensor, tau: float = 0.01) -> torch.Tensor:
    """Maximum softmax probability of ``s = id_sims / tau``."""
    _check(id_sims)
    s = id_sims.float() / tau
    return torch.exp(s.max(dim=1).values - torch.logsumexp(s, dim=1))


def max_logit(id_sims: torch.Tensor, tau: float = 0.01) -> torch.Tensor:
    """Largest logit ``max_i s_i``."""
    _check(id_sims)
    return id_sims.float().max(dim=1).values / tau


def energy(id_sims: torch.Tensor, tau: float = 0.01, temperature: float = 1.0) -> torch.Tensor:
    """Negative free energy ``T * logsumexp(s / T)`` of the logits ``s = id_sims / tau``."""
    _check(id_sims)
    return temperature * torch.logsumexp(id_sims.float() / (tau * temperature), dim=1)


def mcm(id_sims: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Maximum concept matching: ``max_i softmax(cos / T)_i``."""
    _check(id_sims)
    s = id_sims.float() / temperature
    return torch.exp(s.max(dim=1).values - torch.logsumexp(s, dim=1))


def neglabel_group_index(num_neg: int, groups: int, seed: int = 0,
                         device: Optional[torch.device] = None) -> torch.Tensor:
    """The fixed column order of NegLabel's grouping: the last ``num_neg mod groups`` negatives
    are dropped, the rest permuted with ``seed`` and split into ``groups`` equal groups.
    Returns a ``groups x (num_neg // groups)`` index tensor into the negative labels."""
    if groups < 1:
        raise ValueError(f'groups={groups} must be >= 1.')
    if num_neg < groups:
        raise ValueError(f'NegLabel needs at least as many negative labels as groups: '
                         f'{num_neg} negatives, groups={groups}. Lower `groups` or mine more '
                         'negative labels.')
    keep = num_neg - num_neg % groups
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(keep, generator=gen)
    return perm.view(groups, keep // groups).to(device)


def neglabel(id_sims: torch.Tensor,
             neg_sims: torch.Tensor,
             tau: float = 0.01,
             groups: int = 100,
             seed: int = 0,
             grouped: bool = False) -> torch.Tensor:
    """NegLabel score (Jiang et al., 2024, eq. 4 with grouping).

    With ``s = cos / tau``, for group ``g`` of negatives
    ``S_g = sum_{i in ID} softmax([s_ID, s_neg_g])_i = sigmoid(lse(s_ID) - lse(s_neg_g))`` and the
    score is ``mean_g S_g``; ``groups = 1`` is the ungrouped score.

    Args:
        grouped: ``neg_sims`` is already in group order (``groups * n`` columns, group ``g``
            being columns ``g*n .. (g+1)*n - 1``), e.g. because the negative text bank was
            permuted once with :func:`neglabel_group_index`; this skips a gather per batch.
    """
    _check(id_sims)
    _check(neg_sims, 'neg_sims')
    if neg_sims.shape[0] != id_sims.shape[0]:
        raise ValueError(f'id_sims and neg_sims disagree on the batch size: '
                         f'{id_sims.shape[0]} vs {neg_sims.shape[0]}.')
    b = id_sims.shape[0]
    lse_id = torch.logsumexp(id_sims.float() / tau, dim=1)
    if grouped:
        if neg_sims.shape[1] % groups:
            raise ValueError(f'grouped=True needs a multiple of groups={groups} columns, got '
                             f'{neg_sims.shape[1]}.')
        neg = neg_sims.reshape(b, groups, -1)
    else:
        index = neglabel_group_index(neg_sims.shape[1], groups, seed, neg_sims.device)
        neg = neg_sims[:, index]
    lse_neg = torch.logsumexp(neg.float() / tau, dim=2)  # B x G
    return torch.sigmoid(lse_id[:, None] - lse_neg).mean(dim=1)


def delta_energy(id_sims: torch.Tensor,
                 tau: float = 0.01,
                 top_c: int = 1,
                 crop_value: float = 0.0) -> torch.Tensor:
    """ΔEnergy: how much the energy rises when the top-c similarities are cropped.

    ``s = cos / tau``, ``E(s) = -logsumexp(s)``; ``s'`` is ``s`` with its ``top_c`` largest
    entries replaced by ``crop_value / tau`` (the crop value is a cosine similarity, 0 by
    default). ``ΔEnergy = E(s') - E(s) = logsumexp(s) - logsumexp(s')``; higher = more ID.
    Reconstructed from the ΔEnergy abstract and figure captions: ``top_c``, ``tau`` and
    ``crop_value`` are options.
    """
    _check(id_sims)
    c = id_sims.shape[1]
    if not 1 <= top_c <= c:
        raise ValueError(f'top_c={top_c} must be between 1 and the number of classes ({c}).')
    s = id_sims.float() / tau
    top = s.topk(top_c, dim=1).indices
    cropped = s.scatter(1, top, crop_value / tau)
    return torch.logsumexp(s, dim=1) - torch.logsumexp(cropped, dim=1)


def gl_mcm(id_sims: torch.Tensor,
           local_sims: torch.Tensor,
           temperature: float = 1.0,
           lambda_local: float = 1.0) -> torch.Tensor:
    """GL-MCM (Miyai et al., 2023): ``S_MCM + lambda * S_L-MCM`` with
    ``S_MCM = max_c softmax_c(cos(x, t_c) / T)`` of the global embedding and
    ``S_L-MCM = max_{p, c} softmax_c(cos(x_p, t_c) / T)`` over the local embeddings ``x_p``
    (each patch's softmax over the classes, then the largest entry over patches and classes).
    One temperature for both terms (the release's ``T = 1``); ``lambda_local = 1`` is the
    paper's sum (the release's ImageNet script passes 0.5)."""
    _check(id_sims)
    if local_sims.ndim != 3 or local_sims.shape[0] != id_sims.shape[0] or \
            local_sims.shape[2] != id_sims.shape[1]:
        raise ValueError(f'local_sims must be B x P x C matching id_sims {tuple(id_sims.shape)}, '
                         f'got {tuple(local_sims.shape)}.')
    local = torch.softmax(local_sims.float() / temperature, dim=2)
    return mcm(id_sims, temperature) + lambda_local * local.flatten(1).max(dim=1).values
