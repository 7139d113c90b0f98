"""Proxy Calibration loss of OVSNet (Sec. 4.3).

For the Hungarian-matched queries of a batch, pairs ``(m, n)`` are drawn (a random permutation
of the matched queries) and mixed with ``alpha ~ Beta(gamma, gamma)``, the same ``alpha`` for
the query embeddings ``F_Q``, the GFA output ``F_C`` and the text embeddings of each query's
ground-truth class ``F_T``::

    F' = alpha F_m + (1 - alpha) F_n
    L_PQ = 1 - cos(F'_Q, F'_T),   L_PC = 1 - cos(F'_C, F'_T),   L = mean(L_PQ + L_PC)

The proxies stand for unseen classes between the training classes. ``gamma = 1`` is the
paper's "no PC" ablation point of the Beta family (uniform mixing); ``gamma = 2`` the default.
"""
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import nn


def proxy_calibration_loss(f_q: torch.Tensor, f_c: torch.Tensor, f_t: torch.Tensor,
                           gamma: float = 2.0, return_stats: bool = False):
    """``f_q``, ``f_c``, ``f_t``: ``M x D`` for the ``M`` matched queries of the batch.
    Draws the pairing and ``alpha`` from torch's global RNG (seeded by the runner)."""
    m = f_q.shape[0]
    if m < 2:
        zero = f_q.sum() * 0.0
        return (zero, dict(alpha_mean=0.0, pairs=0)) if return_stats else zero
    perm = torch.randperm(m).to(f_q.device)
    g = torch.tensor(float(gamma))
    alpha = torch.distributions.Beta(g, g).sample((m, 1)).to(f_q.device, f_q.dtype)
    loss = mixed_alignment_loss(f_q, f_c, f_t, alpha, perm)
    if return_stats:
        return loss, dict(alpha_mean=float(alpha.mean()), pairs=m)
    return loss


def mixed_alignment_loss(f_q: torch.Tensor, f_c: torch.Tensor, f_t: torch.Tensor,
                         alpha: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """The loss for given mixing weights ``alpha`` (``M x 1``) and partners ``perm``."""

    def mix(x):
        return alpha * x + (1 - alpha) * x[perm]

    q, c, t = mix(f_q), mix(f_c), mix(f_t)
    return (1 - F.cosine_similarity(q, t, dim=-1)).mean() + (
        1 - F.cosine_similarity(c, t, dim=-1)).mean()


@MODELS.register_module()
class ProxyCalibrationLoss(nn.Module):
    """Registered shell of :func:`proxy_calibration_loss`; ``loss_weight`` and ``gamma`` are
    scheduled by ``ProxyCalibrationHook`` when one is configured."""

    def __init__(self, loss_weight: float = 1.0, gamma: float = 2.0,
                 loss_name: str = 'loss_proxy'):
        super().__init__()
        self.loss_weight = loss_weight
        self.gamma = gamma
        self._loss_name = loss_name
        self.last_stats: dict = {}

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, f_q, f_c, f_t):
        loss, stats = proxy_calibration_loss(f_q, f_c, f_t, self.gamma, return_stats=True)
        self.last_stats = dict(stats, weight=self.loss_weight, gamma=self.gamma)
        return self.loss_weight * loss
