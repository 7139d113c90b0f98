"""Proxy Calibration loss of OVSNet (Sec. 4.3, eq. 5).

For the Hungarian-matched queries of a batch, pairs ``(m, n)`` are drawn (a random permutation
of the matched queries) and mixed with ``alpha ~ Beta(gamma, gamma)``, the same ``alpha`` for
the query embeddings ``F_Q``, the fusion output ``F_C`` and the text embeddings of each query's
ground-truth class ``F_T``::

    F' = alpha F_m + (1 - alpha) F_n                                       (eq. 5)
    L_PQ = 1 - cos(F'_Q, F'_T),   L_PC = 1 - cos(F'_C, F'_T),   L = mean(L_PQ + L_PC)

The three kinds of embedding are L2-normalised before they are mixed (a reconstruction: the
paper mixes "embeddings" without saying; the text and CLIP embeddings are unit vectors, the
query projection's outputs are not, and mixing un-normalised vectors lets the longer one decide
the direction of the proxy whatever ``alpha`` is). When there is no fusion (``F_C`` is ``F_Q``
itself) the loss is ``L_PQ`` alone, so that the term is not counted twice. The proxies stand
for unseen classes between the training classes. ``gamma = 1`` is the paper's Table 4b row
that equals "no PC" (uniform mixing); ``gamma = 2`` the default. The registered loss is
``mmopen.models.losses.ProxyCalibrationLoss``.
"""
from typing import Optional

import torch
import torch.nn.functional as F


def proxy_calibration_loss(f_q: torch.Tensor, f_c: Optional[torch.Tensor], f_t: torch.Tensor,
                           gamma: float = 2.0, return_stats: bool = False):
    """``f_q``, ``f_c``, ``f_t``: ``M x D`` for the ``M`` matched queries of the batch
    (``f_c = None``: no fusion, ``L_PQ`` only). Draws the pairing and ``alpha`` from torch's
    global RNG (seeded by the runner)."""
    m = f_q.shape[0]
    if m < 2:
        zero = f_q.sum() * 0.0
        return (zero, dict(alpha_mean=0.0, alpha_var=0.0, pairs=0)) if return_stats else zero
    perm = torch.randperm(m).to(f_q.device)
    g = torch.tensor(float(gamma))
    alpha = torch.distributions.Beta(g, g).sample((m, 1)).to(f_q.device, f_q.dtype)
    loss = mixed_alignment_loss(f_q, f_c, f_t, alpha, perm)
    if return_stats:
        return loss, dict(alpha_mean=float(alpha.mean()), alpha_var=float(alpha.var()),
                          pairs=m)
    return loss


def mixed_alignment_loss(f_q: torch.Tensor, f_c: Optional[torch.Tensor], f_t: torch.Tensor,
                         alpha: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """The loss for given mixing weights ``alpha`` (``M x 1``) and partners ``perm``."""

    def mix(x):
        x = F.normalize(x, dim=-1)
        return alpha * x + (1 - alpha) * x[perm]

    t = mix(f_t)
    loss = (1 - F.cosine_similarity(mix(f_q), t, dim=-1)).mean()
    if f_c is not None:
        loss = loss + (1 - F.cosine_similarity(mix(f_c), t, dim=-1)).mean()
    return loss
