"""OOD detection metrics under both conventions, exact with tied scores, from one sort.

Scores are "higher = more in-distribution". Two conventions are in use and report different
numbers for the same scores:

``hendrycks`` (Hendrycks et al.; NegLabel, CRoFT): ID is the positive class.

* AUROC   = ``sklearn.metrics.roc_auc_score(is_id, score)``;
* AUPR-In = ``average_precision_score(is_id, score)`` (step-wise, no interpolation);
* AUPR-Out= ``average_precision_score(is_ood, -score)``;
* FPR@95  = the fraction of OOD samples accepted at the threshold whose ID recall is nearest
  0.95: the rule of Hendrycks' ``fpr_and_fdr_at_recall``, i.e. over the distinct thresholds up
  to the first that reaches full ID recall, the nearest recall wins, and ties go to the lower
  threshold.

``openood`` (OpenOOD v1.5, ``openood/evaluators/metrics.py``): OOD is the positive class, on
``-score``.

* FPR@95  = the false-positive rate (ID samples flagged as OOD) at the first point of
  ``sklearn.metrics.roc_curve(is_ood, -score)`` (with its default ``drop_intermediate=True``)
  whose true-positive rate (OOD recall) is >= 0.95;
* AUROC   = trapezoid area under that ROC curve;
* AUPR-In / AUPR-Out = trapezoid area (``sklearn.metrics.auc``) under
  ``precision_recall_curve(is_id, score)`` / ``(is_ood, -score)``.

All of them come from the cumulative ID / OOD counts at the distinct score values, obtained with
a single sort, and equal the scikit-learn computations above to float rounding (the tests check
1e-9 on data with heavy ties).
"""
from typing import Dict, NamedTuple, Sequence

import numpy as np

CONVENTIONS = ('hendrycks', 'openood')
METRIC_NAMES = ('AUROC', 'AUPR_IN', 'AUPR_OUT', 'FPR95')


class ThresholdCounts(NamedTuple):
    """Cumulative counts at each distinct score, from the highest score down: ``id_ge[k]`` /
    ``ood_ge[k]`` = number of ID / OOD samples with score >= the k-th largest distinct value."""
    id_ge: np.ndarray
    ood_ge: np.ndarray

    @property
    def n_id(self) -> int:
        return int(self.id_ge[-1])

    @property
    def n_ood(self) -> int:
        return int(self.ood_ge[-1])


def _as_scores(x: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError(f'{name} is empty: OOD metrics need at least one ID and one OOD '
                         'sample.')
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(f'{name} holds {int(bad.sum())} NaN or infinite values (first at '
                         f'indices {where}); OOD metrics need finite scores.')
    return arr


def threshold_counts(id_scores: Sequence[float], ood_scores: Sequence[float]) -> ThresholdCounts:
    """Sort once and count ID / OOD samples at or above each distinct score."""
    ids = _as_scores(id_scores, 'id_scores')
    oods = _as_scores(ood_scores, 'ood_scores')
    scores = np.concatenate([ids, oods])
    is_id = np.zeros(scores.size, dtype=np.int64)
    is_id[:ids.size] = 1
    order = np.argsort(-scores)  # order inside a block of ties does not matter: counts are read
    scores = scores[order]      # at the end of each block
    is_id = is_id[order]
    ends = np.flatnonzero(np.diff(scores)) if scores.size > 1 else np.zeros(0, np.int64)
    ends = np.append(ends, scores.size - 1)
    id_ge = np.cumsum(is_id)[ends]
    ood_ge = ends + 1 - id_ge
    return ThresholdCounts(id_ge.astype(np.float64), ood_ge.astype(np.float64))


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1])) / 2.0)


def _hendrycks_fpr(tps: np.ndarray, fps: np.ndarray, recall_level: float) -> float:
    recall = tps / tps[-1]
    last = int(np.searchsorted(tps, tps[-1]))  # first threshold reaching full recall
    recall_rev = recall[last::-1]               # from low threshold to high
    cut = int(np.argmin(np.abs(recall_rev - recall_level)))
    return float(fps[last - cut] / fps[-1])


def _sklearn_drop_intermediate(fps: np.ndarray, tps: np.ndarray):
    """``roc_curve(drop_intermediate=True)``: drop points collinear with their neighbours."""
    if fps.size <= 2:
        return fps, tps
    keep = np.concatenate([[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]])
    return fps[keep], tps[keep]


def check_recall_level(recall_level: float) -> float:
    """The TPR of FPR@TPR as a fraction in (0, 1); 95 (a percentage), 0 or a negative value is
    refused with what to write instead."""
    r = float(recall_level)
    if not 0.0 < r < 1.0:
        hint = f' (a percentage? write {r / 100:g})' if 1.0 < r < 100.0 else ''
        raise ValueError(f'recall level {recall_level!r} must be a fraction strictly between 0 '
                         f'and 1, e.g. 0.95 for FPR@95{hint}.')
    return r


def metrics_from_counts(counts: ThresholdCounts, recall_level: float = 0.95) -> Dict[str, Dict]:
    """All metrics under both conventions (fractions in [0, 1])."""
    check_recall_level(recall_level)
    tps, fps = counts.id_ge, counts.ood_ge
    n_id, n_ood = tps[-1], fps[-1]
    if n_id == 0 or n_ood == 0:
        raise ValueError(f'OOD metrics need ID and OOD samples, got {int(n_id)} ID and '
                         f'{int(n_ood)} OOD.')
    zero = np.zeros(1)
    # --- ID positive on score: points at the distinct thresholds, highest first
    tpr_in = np.concatenate([zero, tps / n_id])
    fpr_in = np.concatenate([zero, fps / n_ood])
    auroc = _trapezoid(fpr_in, tpr_in)
    prec_in = tps / (tps + fps)
    d_recall_in = np.diff(np.concatenate([zero, tps])) / n_id
    aupr_in_step = float(np.sum(d_recall_in * prec_in))
    # --- OOD positive on -score: thresholds from the lowest score up
    tp_out = n_ood - np.concatenate([zero, fps[:-1]])[::-1]   # OOD with score <= v_k
    fp_out = n_id - np.concatenate([zero, tps[:-1]])[::-1]    # ID with score <= v_k
    prec_out = tp_out / (tp_out + fp_out)
    d_recall_out = np.diff(np.concatenate([zero, tp_out])) / n_ood
    aupr_out_step = float(np.sum(d_recall_out * prec_out))
    fpr95_h = _hendrycks_fpr(tps, fps, recall_level)
    hendrycks = dict(AUROC=auroc, AUPR_IN=aupr_in_step, AUPR_OUT=aupr_out_step, FPR95=fpr95_h)

    # OpenOOD: ROC of OOD-vs-ID on -score with sklearn's point dropping
    fo, to = _sklearn_drop_intermediate(fp_out, tp_out)
    fpr_o = np.concatenate([zero, fo / n_id])
    tpr_o = np.concatenate([zero, to / n_ood])
    fpr95_o = float(fpr_o[int(np.argmax(tpr_o >= recall_level))])
    auroc_o = _trapezoid(fpr_o, tpr_o)
    # PR curves with sklearn's appended (recall 0, precision 1) point; trapezoid areas
    r_in = np.concatenate([zero, tps / n_id])
    p_in = np.concatenate([np.ones(1), prec_in])
    r_out = np.concatenate([zero, tp_out / n_ood])
    p_out = np.concatenate([np.ones(1), prec_out])
    openood = dict(AUROC=auroc_o, AUPR_IN=_trapezoid(r_in, p_in),
                   AUPR_OUT=_trapezoid(r_out, p_out), FPR95=fpr95_o)
    return dict(hendrycks=hendrycks, openood=openood)


def ood_metrics(id_scores: Sequence[float], ood_scores: Sequence[float],
                recall_level: float = 0.95) -> Dict[str, Dict[str, float]]:
    """``{'hendrycks': {AUROC, AUPR_IN, AUPR_OUT, FPR95}, 'openood': {...}}`` as fractions.

    Raises ``ValueError`` for empty inputs and NaN or infinite scores.
    """
    return metrics_from_counts(threshold_counts(id_scores, ood_scores), recall_level)
