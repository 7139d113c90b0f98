"""Gradient-Free Aggregation (GFA) of OVSNet (Sec. 4.2 of "Open-Vocabulary Segmentation
Benchmark and OVSNet", eqs. 1-4).

Per image, query embeddings ``F_Q`` and mask-pooled CLIP features ``F_C`` (``N x D`` each) are
fused by a random walk between the two sets, run to its fixed point in closed form.

With the affinity ``Z = lambda * F_C F_Q^T`` (``N x N``, rows: CLIP features, columns: queries):

* ``norm='softmax'`` (default, the random-walk reading of Grady 2006 -- a reconstruction, the
  paper leaves ``Norm`` open): each update is a convex combination,
  ``P_QC = softmax(Z^T, dim=1)`` (each query's weights over the CLIP features) and
  ``P_CQ = softmax(Z, dim=1)`` (each CLIP feature's weights over the queries)::

      F_Q^t = w P_QC F_C^{t-1} + (1 - w) F_Q^0                      (eq. 1)
      F_C^t = w P_CQ F_Q^t     + (1 - w) F_C^0                      (eq. 2)
      F_C^inf = (1 - w) (I - w^2 A)^{-1} (w P_CQ F_Q^0 + F_C^0),  A = P_CQ P_QC   (eq. 4)

  ``A`` is row-stochastic, so the spectral radius of ``w^2 A`` is ``w^2 < 1``: the series always
  converges and the closed form is its limit.

* ``norm='literal'``: eqs. 1-2 read literally, ``Norm(Z)`` = the row softmax of ``Z`` in eq. 1
  and raw ``Z`` in eq. 2, ``A = Z Norm(Z)^T``. The series diverges when the spectral radius of
  ``w^2 A`` reaches 1 (typical for correlated CLIP features), and the closed form is then the
  fixed point of nothing: :func:`gfa` checks the radius and raises
  :class:`GFADivergenceError` instead of returning it.

"Gradient-free": the affinities (``Z``, ``P``, ``A``) and the solve are computed without
gradients; ``F_C^inf`` stays *linear* in ``F_Q^0`` and ``F_C^0`` with gradients, so the decoder
still learns through the ``w P_CQ F_Q^0`` term (and through ``F_Q^inf``). The solve runs in
fp32 with ``torch.linalg.solve`` (no explicit inverse).
"""
from typing import NamedTuple

import torch
import torch.nn.functional as F


class GFADivergenceError(RuntimeError):
    """The GFA series does not converge (spectral radius of ``w^2 A`` >= 1)."""


class GFAOutput(NamedTuple):
    f_c: torch.Tensor  # F_C^inf, B x N x D
    f_q: torch.Tensor  # F_Q^inf, B x N x D


def gfa_operators(f_q: torch.Tensor, f_c: torch.Tensor, lam: float = 0.2,
                  norm: str = 'softmax'):
    """``(P_QC, P_CQ)``: the (detached) operators of eqs. 1 and 2, ``B x N x N``."""
    with torch.no_grad():
        z = lam * f_c.float() @ f_q.float().transpose(1, 2)  # B x N(clip) x N(query)
        if norm == 'softmax':
            return torch.softmax(z.transpose(1, 2), dim=2), torch.softmax(z, dim=2)
        if norm == 'literal':
            return torch.softmax(z, dim=2).transpose(1, 2), z
    raise ValueError(f"GFA norm={norm!r}: use 'softmax' or 'literal'.")


def spectral_radius(m: torch.Tensor) -> torch.Tensor:
    """Largest absolute eigenvalue of each ``N x N`` matrix in a batch."""
    return torch.linalg.eigvals(m.double()).abs().max(dim=-1).values.float()


def gfa(f_q: torch.Tensor,
        f_c: torch.Tensor,
        lam: float = 0.2,
        omega: float = 0.5,
        norm: str = 'softmax',
        normalize: bool = True,
        check_radius: bool = None) -> GFAOutput:
    """Closed-form GFA (eq. 4) for a batch, ``f_q``, ``f_c``: ``B x N x D``.

    Args:
        lam: affinity scale ``lambda`` (paper: 0.2).
        omega: fusion factor ``w`` in (0, 1) (open; default 0.5).
        norm: ``'softmax'`` (convergent random walk, default) or ``'literal'``.
        normalize: L2-normalise ``F_Q`` and ``F_C`` first (open; default on).
        check_radius: check the spectral radius (default: for ``'literal'`` only; the softmax
            form converges by construction).
    """
    if not 0.0 < omega < 1.0:
        raise ValueError(f'GFA omega={omega} must be in (0, 1).')
    if f_q.shape != f_c.shape or f_q.ndim != 3:
        raise ValueError(f'GFA needs F_Q and F_C of the same shape B x N x D, got '
                         f'{tuple(f_q.shape)} and {tuple(f_c.shape)}.')
    dtype = f_q.dtype
    q0, c0 = f_q.float(), f_c.float()
    if normalize:
        q0, c0 = F.normalize(q0, dim=-1), F.normalize(c0, dim=-1)
    p_qc, p_cq = gfa_operators(q0, c0, lam, norm)
    n = q0.shape[1]
    with torch.no_grad():
        a = p_cq @ p_qc
        system = torch.eye(n, device=a.device, dtype=a.dtype) - omega**2 * a
        if check_radius if check_radius is not None else norm == 'literal':
            rho = spectral_radius(omega**2 * a)
            if (rho >= 1).any():
                raise GFADivergenceError(
                    f'GFA diverges: the spectral radius of w^2 A is {rho.max().item():.3f} >= 1 '
                    f"(norm={norm!r}, lambda={lam}, omega={omega}). The closed form is not the "
                    "limit of anything here: use norm='softmax' or lower lambda / omega.")
    rhs = omega * (p_cq @ q0) + c0
    f_c_inf = (1 - omega) * torch.linalg.solve(system, rhs)
    f_q_inf = omega * (p_qc @ f_c_inf) + (1 - omega) * q0
    return GFAOutput(f_c_inf.to(dtype), f_q_inf.to(dtype))
