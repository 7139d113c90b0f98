"""Open-set domain generalisation (OSDG) metrics: known / unknown accuracy, H-score, AUROC.

The OSDG protocol (ODG-CLIP, SeeCLIP) trains on ``C`` known classes in source domains and tests
on an unseen target domain that also holds samples of classes never seen in training. The model
predicts ``C + 1`` classes, the last one being "unknown"; every test sample of an unseen class has
the label ``C``. The metrics are:

* ``known_acc``: accuracy of the ``(C + 1)``-way argmax on the known samples (``gt < C``), i.e.
  ODG-CLIP's "Acc". A known sample predicted as unknown counts as an error;
* ``unknown_acc``: the fraction of unknown samples (``gt == C``) whose argmax is ``C``;
* ``hscore``: the harmonic mean ``2 a u / (a + u)`` of ``known_acc`` and ``unknown_acc`` (the
  H-score of ODG-CLIP / SeeCLIP; 0 when both are 0). It is high only when the model both
  classifies the known classes and rejects the unknown ones;
* ``closed_acc``: accuracy of the argmax over the first ``C`` columns only, on the known
  samples: the closed-set accuracy, blind to the unknown column. It differs from
  ``known_acc`` exactly when a known sample's ``(C + 1)``-way argmax is the unknown column;
* ``AUROC``, ``AUPR_IN``, ``AUPR_OUT``, ``FPR95``: detection of the unknown samples (OOD) among
  the known ones (ID) by the unknown probability, threshold-free, from
  :func:`mmopen.ood.metrics.ood_metrics` with the ID score ``-p_unknown`` ("higher = more ID";
  the negation is exact, so ties in ``p_unknown`` stay ties), in one of its conventions.

Argmax ties go to the lower column (``np.argmax``): a tie between a known class and the unknown
column predicts the known class.
"""
from typing import Dict, Sequence, Union

import numpy as np

from mmopen.ood.metrics import CONVENTIONS, ood_metrics

Number = Union[int, float]


def _validate(probs, gt, num_known: int):
    """``(probs as float64 N x (C+1), gt as int64 N)``; errors name the offending values."""
    if isinstance(num_known, (bool, np.bool_)) or not isinstance(num_known, (int, np.integer)) \
            or num_known < 1:
        raise ValueError(f'num_known must be a positive integer (the number of known classes '
                         f'C), got {num_known!r}.')
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2:
        raise ValueError(f'probs must be 2-D, N x (C+1) (C known classes + "unknown"), got '
                         f'shape {probs.shape}.')
    if probs.shape[1] != num_known + 1:
        raise ValueError(f'probs has {probs.shape[1]} columns but num_known={num_known} needs '
                         f'{num_known + 1} (C known classes + the "unknown" column last); check '
                         'num_known or the classifier head.')
    bad = ~np.isfinite(probs)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])[:5].tolist()
        raise ValueError(f'probs holds {int(bad.sum())} NaN or infinite values (first rows '
                         f'{rows}); OSDG metrics need finite probabilities.')
    gt_arr = np.asarray(gt)
    if gt_arr.ndim != 1 or gt_arr.shape[0] != probs.shape[0]:
        raise ValueError(f'gt must be 1-D with one label per row of probs ({probs.shape[0]}), '
                         f'got shape {gt_arr.shape}.')
    if gt_arr.size and not np.issubdtype(gt_arr.dtype, np.integer):
        as_float = gt_arr.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
            raise ValueError(f'gt must hold integer labels in [0, {num_known}], got dtype '
                             f'{gt_arr.dtype} with non-integer values.')
    gt_arr = gt_arr.astype(np.int64)
    out_of_range = (gt_arr < 0) | (gt_arr > num_known)
    if out_of_range.any():
        bad_vals = np.unique(gt_arr[out_of_range])[:5].tolist()
        raise ValueError(f'gt labels must lie in [0, {num_known}] ({num_known} = unknown), got '
                         f'{bad_vals}; map every unseen class to {num_known}.')
    return probs, gt_arr


def osdg_metrics(probs: Sequence[Sequence[float]],
                 gt: Sequence[int],
                 num_known: int,
                 recall_level: float = 0.95,
                 convention: str = 'hendrycks') -> Dict[str, Number]:
    """OSDG metrics (x100) of ``C + 1``-way class probabilities; see the module docstring.

    Args:
        probs: ``N x (C + 1)`` class probabilities (or any scores whose argmax is the
            prediction), column ``C`` being "unknown".
        gt: ``N`` integer labels in ``[0, C]``; ``C`` marks an unknown-class sample.
        num_known: ``C``, the number of known classes.
        recall_level: the ID (known) recall of FPR@recall (0.95).
        convention: ``'hendrycks'`` (default) or ``'openood'``, as in
            :func:`mmopen.ood.metrics.ood_metrics`.

    Returns:
        ``known_acc``, ``unknown_acc``, ``hscore``, ``closed_acc``, ``AUROC``, ``AUPR_IN``,
        ``AUPR_OUT``, ``FPR95`` as floats x100, and the integer counts ``num_known_samples`` /
        ``num_unknown_samples``. Without unknown samples (e.g. validation on held-out source
        data) only ``known_acc``, ``closed_acc`` and the counts are returned: unknown accuracy,
        H-score and detection metrics are undefined there.

    Raises:
        ValueError: for bad shapes, labels outside ``[0, C]``, non-finite probabilities, an
            unknown convention, or no known sample at all.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f'Unknown convention {convention!r}: use one of {CONVENTIONS}.')
    probs, gt = _validate(probs, gt, num_known)
    is_unknown = gt == num_known
    n_unknown = int(is_unknown.sum())
    n_known = int(gt.size - n_unknown)
    if n_known == 0:
        raise ValueError(f'No known-class sample (gt < {num_known}) among the {gt.size} '
                         'samples: known accuracy and the H-score are undefined. Evaluate on a '
                         'set that holds known classes.')
    known = ~is_unknown
    pred_open = probs.argmax(axis=1)
    pred_closed = probs[:, :num_known].argmax(axis=1)
    out: Dict[str, Number] = dict(
        known_acc=100.0 * float(np.mean(pred_open[known] == gt[known])),
        closed_acc=100.0 * float(np.mean(pred_closed[known] == gt[known])))
    if n_unknown:
        a = out['known_acc']
        u = 100.0 * float(np.mean(pred_open[is_unknown] == num_known))
        out['unknown_acc'] = u
        out['hscore'] = 2.0 * a * u / (a + u) if a + u > 0 else 0.0
        id_score = -probs[:, num_known]  # higher = more known; exact, keeps ties
        det = ood_metrics(id_score[known], id_score[is_unknown], recall_level)[convention]
        out.update({k: 100.0 * float(v) for k, v in det.items()})
    out['num_known_samples'] = n_known
    out['num_unknown_samples'] = n_unknown
    return out
