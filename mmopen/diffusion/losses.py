"""SynOOD's OOD losses on a classifier's logits: what the guided sampler lowers
(:attr:`mmopen.diffusion.inpainting.GuidanceSettings.loss` names one).

* ``'energy'`` -- paper eq. (7): ``L = m_out - tau * log sum_i exp(g_i / tau)``, i.e. ``m_out``
  plus the energy score ``E(x) = -tau * LSE(g / tau)``. Lowering it lowers the energy: the
  context-prompted (object-free, hence OOD) image is pulled back towards the in-distribution
  side, to the boundary. ``m_out`` is a constant: it shifts the loss, not its gradient.
* ``'squared'`` -- the released generation loop's variant: ``s = mean_i g_i - LSE_i g_i`` and
  ``L = mean((m_out - s)^2)`` with ``m_out = -5``: pulls ``s`` (a log-ratio that is ``-log C`` at
  a uniform prediction and near 0 at a confident one) towards the margin ``m_out``.

Both return one loss per image (``B``), so a batch's images are guided independently (the
gradient of the sum w.r.t. one image's latents is that image's own loss gradient).
"""
from typing import Callable, Dict

import torch


def energy_loss(logits: torch.Tensor, m_out: float = -5.0, tau: float = 1.0) -> torch.Tensor:
    """Eq. (7): ``m_out - tau * logsumexp(logits / tau)`` per image."""
    return m_out - tau * torch.logsumexp(logits.float() / tau, dim=-1)


def squared_score_loss(logits: torch.Tensor, m_out: float = -5.0,
                       tau: float = 1.0) -> torch.Tensor:
    """The released loop's loss: ``(m_out - (mean(g) - logsumexp(g)))^2`` per image (``tau``
    is accepted for a uniform signature and unused)."""
    logits = logits.float()
    s = logits.mean(dim=-1) - torch.logsumexp(logits, dim=-1)
    return (m_out - s)**2


OOD_LOSSES: Dict[str, Callable[..., torch.Tensor]] = dict(
    energy=energy_loss, squared=squared_score_loss)


def get_ood_loss(name: str) -> Callable[..., torch.Tensor]:
    if name not in OOD_LOSSES:
        raise ValueError(f'Unknown SynOOD loss {name!r}: choose one of {sorted(OOD_LOSSES)} '
                         "('energy' is the paper's eq. 7, 'squared' the released loop's).")
    return OOD_LOSSES[name]
