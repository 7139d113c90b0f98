"""OOD metrics against scikit-learn (and the nearest-recall rule), on data with heavy ties."""
import numpy as np
import pytest
from sklearn import metrics as skm

from mmopen.ood.metrics import ood_metrics


def hendrycks_fpr_reference(id_scores, ood_scores, level=0.95):
    """Nearest-recall rule on scikit-learn's full ROC curve (ID positive): among the points up
    to the first with full recall, the TPR nearest ``level``; ties -> the later point."""
    y = np.r_[np.ones(len(id_scores)), np.zeros(len(ood_scores))]
    fpr, tpr, _ = skm.roc_curve(y, np.r_[id_scores, ood_scores], drop_intermediate=False)
    fpr, tpr = fpr[1:], tpr[1:]  # drop the artificial (0, 0) start
    last = int(np.flatnonzero(tpr >= 1.0)[0])
    best, best_dist = None, np.inf
    for i in range(last, -1, -1):  # later points first: they win ties
        dist = abs(tpr[i] - level)
        if dist < best_dist:
            best, best_dist = i, dist
    return fpr[best]


def reference(id_scores, ood_scores):
    y = np.r_[np.ones(len(id_scores)), np.zeros(len(ood_scores))]
    s = np.r_[id_scores, ood_scores]
    hend = dict(AUROC=skm.roc_auc_score(y, s),
                AUPR_IN=skm.average_precision_score(y, s),
                AUPR_OUT=skm.average_precision_score(1 - y, -s),
                FPR95=hendrycks_fpr_reference(id_scores, ood_scores))
    # OpenOOD v1.5 evaluators/metrics.py, written out with scikit-learn
    fpr_list, tpr_list, _ = skm.roc_curve(1 - y, -s)
    p_in, r_in, _ = skm.precision_recall_curve(y, s)
    p_out, r_out, _ = skm.precision_recall_curve(1 - y, -s)
    oo = dict(AUROC=skm.auc(fpr_list, tpr_list), AUPR_IN=skm.auc(r_in, p_in),
              AUPR_OUT=skm.auc(r_out, p_out), FPR95=fpr_list[np.argmax(tpr_list >= 0.95)])
    return dict(hendrycks=hend, openood=oo)


def _data(rng, n, ties):
    n_id = int(rng.integers(1, n)) if n > 2 else 1
    n_ood = n - n_id
    if ties == 'heavy':  # few distinct values, shared by ID and OOD
        levels = int(rng.integers(1, 8))
        ids = rng.integers(0, levels + 2, n_id).astype(float)
        oods = rng.integers(0, levels, n_ood).astype(float)
    elif ties == 'some':
        ids = np.round(rng.normal(1.0, 1.0, n_id), 1)
        oods = np.round(rng.normal(0.0, 1.0, n_ood), 1)
    else:
        ids = rng.normal(1.0, 1.0, n_id)
        oods = rng.normal(0.0, 1.0, n_ood)
    return ids, oods


SIZES = [2, 3, 5, 10, 37, 100, 1000, 10_000]


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('ties', ['heavy', 'some', 'none'])
def test_both_conventions_equal_sklearn(n, ties):
    rng = np.random.default_rng(n * 7 + len(ties))
    for _ in range(20 if n <= 100 else 3):
        ids, oods = _data(rng, n, ties)
        got, ref = ood_metrics(ids, oods), reference(ids, oods)
        for conv in ('hendrycks', 'openood'):
            for k, v in ref[conv].items():
                assert got[conv][k] == pytest.approx(v, abs=1e-9), (conv, k, ids, oods)


@pytest.mark.parametrize('ties', ['heavy', 'none'])
def test_million_samples(ties):
    rng = np.random.default_rng(1)
    n = 1_000_000
    if ties == 'heavy':
        ids = rng.integers(0, 50, n // 2).astype(float)
        oods = rng.integers(0, 40, n // 2).astype(float)
    else:
        ids, oods = rng.normal(0.5, 1, n // 2), rng.normal(0, 1, n // 2)
    got, ref = ood_metrics(ids, oods), reference(ids, oods)
    for conv in ('hendrycks', 'openood'):
        for k, v in ref[conv].items():
            assert got[conv][k] == pytest.approx(v, abs=1e-9), (conv, k)


def test_perfect_and_inverted_separation():
    perfect = ood_metrics([3.0, 4.0], [1.0, 2.0])
    assert perfect['hendrycks'] == dict(AUROC=1.0, AUPR_IN=1.0, AUPR_OUT=1.0, FPR95=0.0)
    inverted = ood_metrics([1.0, 2.0], [3.0, 4.0])
    assert inverted['hendrycks']['AUROC'] == 0.0 and inverted['hendrycks']['FPR95'] == 1.0


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='NaN or infinite'):
        ood_metrics([1.0, float('nan')], [0.0])
    with pytest.raises(ValueError, match='NaN or infinite'):
        ood_metrics([1.0], [0.0, float('inf')])
    with pytest.raises(ValueError, match='id_scores is empty'):
        ood_metrics([], [0.0])
    with pytest.raises(ValueError, match='ood_scores is empty'):
        ood_metrics([1.0], [])
