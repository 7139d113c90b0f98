"""Gradient-Free Aggregation (GFA) of OVSNet (Sec. 4.2 of "Open-Vocabulary Segmentation
Benchmark and OVSNet", eqs. 1-4), under three readings.

Per image, query embeddings ``F_Q^0`` and mask-pooled CLIP features ``F_C^0`` (``N x D``, row
``i`` belonging to query ``i``) are fused by iterating

    F_Q^t = w Norm(Z)^T F_C^{t-1} + (1 - w) F_Q^0                      (eq. 1)
    F_C^t = w Z F_Q^t           + (1 - w) F_C^0                        (eq. 2)

to the fixed point ``F_C^inf = (1 - w) (I - w^2 A)^{-1} (w Z F_Q^0 + F_C^0)``,
``A = Z Norm(Z)^T`` (eqs. 3-4), and ``F_Q^inf`` from eq. 1 with ``F_C^inf``. ``Z`` is the
affinity ``lambda F_C^0 (F_Q^0)^T``. The paper writes the update "for a random query, omitting
the query index" and leaves ``Norm`` open, which allows three readings (all
**reconstructions**):

* ``'per_query'`` (**default**): each query with its own pooled CLIP feature only. ``Z`` is the
  scalar ``z_i = lambda <F_C^0_i, F_Q^0_i>``, ``Norm`` of a single affinity is 1 (a softmax over
  one element), ``A = z_i``, and the fixed point is

      F_Q^inf_i = (1 - w) / (1 - w^2 z_i) * (F_Q^0_i + w F_C^0_i),
      F_C^inf_i = (1 - w) / (1 - w^2 z_i) * (w z_i F_Q^0_i + F_C^0_i),

  each a positive multiple (for ``|w^2 z_i| < 1``, the condition for the series to converge)
  of a fixed blend. **What this reading computes is therefore a blend, and it is implemented as
  one**, without a solve: ``f_q = normalize(F_Q^0 + w F_C^0)`` and
  ``f_c = normalize(w z F_Q^0 + F_C^0)``. ``OVSNetHead`` (and Proxy Calibration) L2-normalise
  what they classify, so the positive scalar never matters: the default head
  (``output='f_q'``) classifies exactly ``normalize(F_Q + 0.5 F_C)``, and ``lambda``, the
  affinity and the convergence of the series have no effect on it (``lambda`` enters
  ``f_c`` only, through ``z``). Gradients flow through the blend (``z`` is held constant).
  This is the most literal reading of the paper's per-query notation; whether it earns its
  place as the default is decided by the quickstart ablation
  (``tools/analysis/ovsnet_ablation.py``, 5 seeds, table in configs/ovsnet/README.md).
  :func:`gfa` still refuses ``|w^2 z_i| >= 1`` (possible only without ``normalize`` or with
  ``lambda >= 1 / w^2``): there the series diverges and the scale turns negative, so the blend
  is the limit of nothing.
* ``'cross_query'``: the ``N x N`` random walk between the two sets (Grady 2006), ``Norm`` a
  softmax so that each update is a convex combination: ``P_QC = softmax(Z^T)`` over the CLIP
  index, ``P_CQ = softmax(Z)`` over the query index, ``A = P_CQ P_QC`` (row-stochastic, so the
  spectral radius of ``w^2 A`` is ``w^2 < 1`` and the series always converges), solved in
  closed form. The affinity uses a temperature, ``Z = F_C^0 (F_Q^0)^T / temperature`` (0.05 by
  default): with the paper's ``lambda = 0.2`` on unit vectors the softmax is within a few
  percent of uniform, every query then receives the same mixture, and a query's output no
  longer depends on its own embedding. At ``temperature = 0.05`` a matched pair whose cosine
  exceeds the others' by 0.1 gets ``e^2 ~ 7`` times their weight. ``F_C^0`` enters ``F_C^inf``
  with weight ``(1 - w)`` directly, so each query keeps its own pooled feature.
* ``'literal'``: eqs. 1-2 as printed, ``Norm(Z)`` the row softmax of ``Z`` in eq. 1 and the
  raw ``Z`` in eq. 2, solved in closed form. The series diverges when the spectral radius of
  ``w^2 A`` reaches 1 (typical for un-normalised or strongly correlated features); :func:`gfa`
  then raises :class:`GFADivergenceError` instead of returning a closed form that is the limit
  of nothing.

In the two ``N x N`` readings the graph does act (a query's output mixes other queries' and
other masks' features); in the per-query reading it cannot.

Which output to classify is open too. Eq. 4 gives ``F_C^inf``, but with unit inputs and
``lambda = 0.2`` the query's own embedding enters it (per query) with weight
``w z <= 0.1`` against 1 for its pooled CLIP feature, so classifying ``F_C^inf`` is nearly
classifying the frozen CLIP's mask-pooled embedding: the decoder's learned embedding has no
say, and on the quickstart the training-vocabulary mIoU falls by ~20 points. Sec. 4.3 of the
paper mixes "the aggregated query embeddings F_Q", i.e. ``F_Q^inf`` (eq. 1 at the fixed point),
which keeps both: ``OVSNetHead`` classifies ``F_Q^inf`` by default (``gfa_cfg.output='f_q'``)
and ``F_C^inf`` on request.

"Gradient-free": the affinities and the solve carry no gradient; both outputs are *linear* in
``F_Q^0`` and ``F_C^0`` with the affinities held fixed (before the per-query reading's
normalisation), so gradients reach the decoder through those linear terms. The affinities and
the solve run in fp32 with autocast disabled, whatever precision the caller trains in.
"""
from typing import NamedTuple

import torch
import torch.nn.functional as F

READINGS = ('per_query', 'cross_query', 'literal')


class GFADivergenceError(RuntimeError):
    """The GFA series does not converge (spectral radius of ``w^2 A`` >= 1)."""


class GFAOutput(NamedTuple):
    f_c: torch.Tensor  # F_C^inf, B x N x D
    f_q: torch.Tensor  # F_Q^inf, B x N x D


def spectral_radius(m: torch.Tensor) -> torch.Tensor:
    """Largest absolute eigenvalue of each ``N x N`` matrix in a batch."""
    return torch.linalg.eigvals(m.double()).abs().max(dim=-1).values.float()


def _diverges(rho: torch.Tensor, reading: str, lam: float, omega: float) -> None:
    if (rho >= 1).any():
        raise GFADivergenceError(
            f'GFA diverges: the spectral radius of w^2 A reaches {rho.max().item():.3f} >= 1 '
            f'(reading={reading!r}, lambda={lam}, omega={omega}). The closed form is not the '
            'limit of the iteration here: L2-normalise the inputs or lower lambda or omega'
            + ('' if reading == 'per_query' else ", or use reading='per_query'") + '.')


def _per_query(q0: torch.Tensor, c0: torch.Tensor, lam: float, w: float) -> GFAOutput:
    """The per-query reading: the blends its fixed point is a positive multiple of."""
    with torch.no_grad():
        z = lam * (c0 * q0).sum(dim=-1, keepdim=True)  # B x N x 1
        _diverges((w * w * z).abs(), 'per_query', lam, w)
    return GFAOutput(F.normalize(w * z * q0 + c0, dim=-1), F.normalize(q0 + w * c0, dim=-1))


def gfa_operators(f_q: torch.Tensor, f_c: torch.Tensor, reading: str = 'cross_query',
                  lam: float = 0.2, temperature: float = 0.05):
    """``(N_QC, Z)``: the detached ``B x N x N`` operators of eq. 1 (``Norm(Z)^T``, mapping
    CLIP features to queries) and eq. 2 (mapping queries to CLIP features) of the matrix
    readings."""
    with torch.no_grad():
        sims = f_c @ f_q.transpose(1, 2)  # B x N(clip) x N(query)
        if reading == 'cross_query':
            z = sims / temperature
            return torch.softmax(z.transpose(1, 2), dim=2), torch.softmax(z, dim=2)
        if reading == 'literal':
            z = lam * sims
            return torch.softmax(z, dim=2).transpose(1, 2), z
    raise ValueError(f'GFA reading={reading!r} has no N x N operators: use "cross_query" or '
                     '"literal".')


def _matrix(q0: torch.Tensor, c0: torch.Tensor, reading: str, lam: float, w: float,
            temperature: float) -> GFAOutput:
    to_q, to_c = gfa_operators(q0, c0, reading, lam, temperature)
    n = q0.shape[1]
    with torch.no_grad():
        eye = torch.eye(n, device=q0.device, dtype=q0.dtype)
        system = eye - w * w * (to_c @ to_q)
        if reading == 'literal':
            _diverges(spectral_radius(eye - system), reading, lam, w)
    f_c = (1 - w) * torch.linalg.solve(system, w * (to_c @ q0) + c0)
    return GFAOutput(f_c, w * (to_q @ f_c) + (1 - w) * q0)


def gfa(f_q: torch.Tensor,
        f_c: torch.Tensor,
        reading: str = 'per_query',
        lam: float = 0.2,
        omega: float = 0.5,
        temperature: float = 0.05,
        normalize: bool = True) -> GFAOutput:
    """Closed-form GFA (eq. 4) for a batch, ``f_q``, ``f_c``: ``B x N x D``.

    Args:
        reading: ``'per_query'`` (default), ``'cross_query'`` or ``'literal'`` (see module).
        lam: affinity scale ``lambda`` of the per-query and literal readings (paper: 0.2).
        omega: fusion factor ``w`` in (0, 1) (open in the paper; 0.5).
        temperature: affinity temperature of the cross-query reading.
        normalize: L2-normalise ``F_Q`` and ``F_C`` first (open; default on).

    Returns:
        ``GFAOutput(f_c=F_C^inf, f_q=F_Q^inf)`` in the input dtype; for ``'per_query'`` their
        directions (unit rows: the blends of the module docstring).
    """
    if reading not in READINGS:
        raise ValueError(f'GFA reading={reading!r}: use one of {READINGS}.')
    if not 0.0 < omega < 1.0:
        raise ValueError(f'GFA omega={omega} must be in (0, 1).')
    if f_q.shape != f_c.shape or f_q.ndim != 3:
        raise ValueError(f'GFA needs F_Q and F_C of the same shape B x N x D, got '
                         f'{tuple(f_q.shape)} and {tuple(f_c.shape)}.')
    dtype = f_q.dtype
    work = torch.promote_types(dtype, torch.float32)  # fp32, or fp64 for fp64 inputs
    with torch.autocast(device_type=f_q.device.type, enabled=False):
        q0, c0 = f_q.to(work), f_c.to(work)
        if normalize:
            q0, c0 = F.normalize(q0, dim=-1), F.normalize(c0, dim=-1)
        if reading == 'per_query':
            out = _per_query(q0, c0, lam, omega)
        else:
            out = _matrix(q0, c0, reading, lam, omega, temperature)
    return GFAOutput(out.f_c.to(dtype), out.f_q.to(dtype))
