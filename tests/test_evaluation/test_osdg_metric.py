"""``osdg_metrics`` and ``OSDGMetric`` against a plain per-sample reference written here."""
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

import mmopen  # noqa: F401
from mmopen.osdg import osdg_metrics


@pytest.fixture(scope='module', autouse=True)
def _mmpretrain_scope():
    """Registry builds resolve in mmpretrain's scope whatever an earlier test set."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')


# The project computes every value from cumulative counts after one sort; the reference below
# counts sample by sample (and uses sklearn). Both are exact up to float rounding of sums and
# ratios (~1e-13 on the x100 scale), while any real disagreement moves a value by at least
# 100 / N (~0.3 here): 1e-9 separates the two by orders of magnitude.
TOL = 1e-9


def _argmax(row):
    """First index of the maximum (strict >), the tie rule documented by ``osdg_metrics``."""
    best = 0
    for j in range(1, len(row)):
        if row[j] > row[best]:
            best = j
    return best


def _hendrycks_fpr_loop(p_unknown, is_unknown, recall_level=0.95):
    """Hendrycks' FPR@95 by a direct loop over the thresholds ``t`` on ``p_unknown``: a sample is
    accepted as known when ``p_unknown <= t``. Over the distinct values up to the first that
    accepts every known sample, the known recall nearest ``recall_level`` wins, ties going to
    the larger ``t``; the result is the fraction of unknowns accepted there."""
    n_known = sum(1 for u in is_unknown if not u)
    n_unknown = len(is_unknown) - n_known
    best = None
    for t in sorted(set(p_unknown)):
        known_in = sum(1 for p, u in zip(p_unknown, is_unknown) if not u and p <= t)
        unknown_in = sum(1 for p, u in zip(p_unknown, is_unknown) if u and p <= t)
        gap = abs(known_in / n_known - recall_level)
        if best is None or gap <= best[0]:
            best = (gap, unknown_in / n_unknown)
        if known_in == n_known:
            break
    return best[1]


def reference(probs, gt, num_known):
    """Plain loop over the samples: counts of correct predictions, sklearn for the areas."""
    n_known = n_unknown = known_ok = closed_ok = unknown_ok = 0
    for row, g in zip(probs, gt):
        if g == num_known:
            n_unknown += 1
            unknown_ok += _argmax(row) == num_known
        else:
            n_known += 1
            known_ok += _argmax(row) == g
            closed_ok += _argmax(row[:num_known]) == g
    out = dict(known_acc=100.0 * known_ok / n_known, closed_acc=100.0 * closed_ok / n_known,
               num_known_samples=n_known, num_unknown_samples=n_unknown)
    if n_unknown:
        a, u = out['known_acc'], 100.0 * unknown_ok / n_unknown
        p_unk = [float(row[num_known]) for row in probs]
        is_unk = [int(g == num_known) for g in gt]
        out.update(unknown_acc=u, hscore=2 * a * u / (a + u) if a + u else 0.0,
                   AUROC=100 * roc_auc_score(is_unk, p_unk),
                   AUPR_IN=100 * average_precision_score([1 - i for i in is_unk],
                                                         [-p for p in p_unk]),
                   AUPR_OUT=100 * average_precision_score(is_unk, p_unk),
                   FPR95=100 * _hendrycks_fpr_loop(p_unk, is_unk))
    return out


def random_case(seed, n=240, num_known=5, unknown_frac=0.3):
    """Dirichlet probabilities rounded to 1 decimal place: heavy ties both in the argmax and in
    ``p_unknown``. Unknown samples lean towards the last column so the metrics are non-trivial."""
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, num_known, n)
    gt[rng.random(n) < unknown_frac] = num_known
    alpha = np.ones((n, num_known + 1))
    alpha[np.arange(n), gt] += 2.0
    probs = np.round(np.stack([rng.dirichlet(a) for a in alpha]), 1)
    return probs, gt


@pytest.mark.parametrize('seed', range(4))
def test_against_reference_loop_with_ties(seed):
    probs, gt = random_case(seed)
    assert len(np.unique(probs[:, -1])) < 12  # ties are really there
    ours, ref = osdg_metrics(probs, gt, num_known=5), reference(probs, gt, 5)
    assert set(ours) == set(ref)
    for key, value in ref.items():
        assert ours[key] == pytest.approx(value, abs=TOL), key
    assert isinstance(ours['num_known_samples'], int)


def test_openood_convention():
    probs, gt = random_case(7)
    ours = osdg_metrics(probs, gt, num_known=5, convention='openood')
    is_unk = (gt == 5).astype(int)
    fpr, tpr, _ = roc_curve(is_unk, probs[:, -1])
    assert ours['FPR95'] == pytest.approx(100 * fpr[np.argmax(tpr >= 0.95)], abs=TOL)
    assert ours['AUROC'] == pytest.approx(100 * roc_auc_score(is_unk, probs[:, -1]), abs=TOL)


def _cases(known_right, known_wrong, unknown_right, unknown_wrong):
    """C = 2 samples predicted right / wrong; a known "right" one is class 0 with max 0.7."""
    rows, gt = [], []
    rows += [[0.7, 0.2, 0.1]] * known_right
    rows += [[0.1, 0.7, 0.2]] * known_wrong
    gt += [0] * (known_right + known_wrong)
    rows += [[0.1, 0.2, 0.7]] * unknown_right
    rows += [[0.6, 0.2, 0.2]] * unknown_wrong
    gt += [2] * (unknown_right + unknown_wrong)
    return np.array(rows), np.array(gt)


@pytest.mark.parametrize('counts, known, unknown, hscore', [
    ((4, 1, 2, 3), 80.0, 40.0, 2 * 80 * 40 / 120),  # 53.333...
    ((0, 3, 0, 2), 0.0, 0.0, 0.0),
    ((3, 0, 0, 2), 100.0, 0.0, 0.0),
    ((1, 1, 1, 1), 50.0, 50.0, 50.0),
])
def test_hscore_hand_computed(counts, known, unknown, hscore):
    out = osdg_metrics(*_cases(*counts), num_known=2)
    assert out['known_acc'] == pytest.approx(known)
    assert out['unknown_acc'] == pytest.approx(unknown)
    assert out['hscore'] == pytest.approx(hscore)
    assert out['num_known_samples'] == counts[0] + counts[1]
    assert out['num_unknown_samples'] == counts[2] + counts[3]


def test_hscore_53():
    assert osdg_metrics(*_cases(4, 1, 2, 3), 2)['hscore'] == pytest.approx(53.333333333333336)


def test_closed_acc_differs_when_known_sample_goes_to_unknown():
    probs = np.array([[0.3, 0.1, 0.6],    # gt 0: rejected as unknown, but closed argmax is 0
                      [0.5, 0.0, 0.5],    # gt 0: tie with the unknown column -> class 0
                      [0.1, 0.8, 0.1],    # gt 1: right in both
                      [0.2, 0.1, 0.7]])   # unknown, rejected
    out = osdg_metrics(probs, [0, 0, 1, 2], num_known=2)
    assert out['known_acc'] == pytest.approx(200 / 3)
    assert out['closed_acc'] == pytest.approx(100.0)
    assert out['unknown_acc'] == pytest.approx(100.0)


def test_no_unknown_samples_gives_only_known_keys():
    probs, gt = random_case(1, unknown_frac=0.0)
    assert (gt < 5).all()
    out = osdg_metrics(probs, gt, num_known=5)
    assert set(out) == {'known_acc', 'closed_acc', 'num_known_samples', 'num_unknown_samples'}
    ref = reference(probs, gt, 5)
    assert out['known_acc'] == pytest.approx(ref['known_acc'], abs=TOL)
    assert out['closed_acc'] == pytest.approx(ref['closed_acc'], abs=TOL)
    assert out['num_unknown_samples'] == 0


@pytest.mark.parametrize('probs, gt, num_known, match', [
    (np.zeros((2, 3)), [2, 2], 2, 'No known-class sample'),
    (np.zeros(3), [0], 2, r'2-D.*\(3,\)'),
    (np.zeros((2, 4)), [0, 1], 2, '4 columns but num_known=2 needs 3'),
    (np.zeros((2, 3)), [0, 1, 1], 2, r'one label per row of probs \(2\).*\(3,\)'),
    (np.zeros((2, 3)), [0, 3], 2, r'\[0, 2\].*\[3\]'),
    (np.zeros((2, 3)), [0, -1], 2, r'\[-1\]'),
    (np.zeros((2, 3)), [0.0, 0.5], 2, 'non-integer'),
    (np.array([[np.nan, 0, 1], [0, 1, 0]]), [0, 1], 2, r'NaN.*rows \[0\]'),
    (np.zeros((2, 1)), [0, 0], 0, 'positive integer.*0'),
])
def test_bad_inputs_give_clear_errors(probs, gt, num_known, match):
    with pytest.raises(ValueError, match=match):
        osdg_metrics(probs, gt, num_known)


def test_bad_convention():
    with pytest.raises(ValueError, match="'nope'"):
        osdg_metrics(*_cases(1, 0, 1, 0), 2, convention='nope')


# ----------------------------------------------------------------------------- OSDGMetric
def _batches(probs, gt, batch_size=16, domain=None):
    from mmpretrain.structures import DataSample
    samples = []
    for row, g in zip(probs, gt):
        meta = {} if domain is None else dict(domain=domain)
        ds = DataSample(metainfo=meta).set_pred_score(torch.tensor(row, dtype=torch.float32))
        samples.append(ds.set_gt_label(int(g)).to_dict())
    return [samples[i:i + batch_size] for i in range(0, len(samples), batch_size)]


def _run(metric, probs, gt, pad=0, **kw):
    batches = _batches(probs, gt, **kw)
    for batch in batches:
        metric.process({}, batch)
    if pad:  # sampler padding repeats the first samples; evaluate(size) drops it
        metric.process({}, batches[0][:pad])
    return metric.evaluate(len(gt))


@pytest.mark.parametrize('meta, kwargs', [
    (None, dict(num_known=5)),
    (dict(known_classes=list('abcde')), {}),
    (dict(num_known=5), {}),
    (dict(known_classes=list('abcdefgh')), dict(num_known=5)),  # the argument wins
])
def test_metric_matches_function(meta, kwargs):
    from mmopen.evaluation import OSDGMetric
    probs, gt = random_case(3, n=100)
    metric = OSDGMetric(**kwargs)
    if meta is not None:
        metric.dataset_meta = meta
    out = _run(metric, probs, gt, pad=7, domain='sketch')
    # The metric sees float32 tensors: compare with the function on the same rounded values.
    expected = osdg_metrics(probs.astype(np.float32).astype(np.float64), gt, 5)
    assert set(out) == {f'osdg/{k}' for k in expected}
    for key, value in expected.items():
        assert out[f'osdg/{key}'] == pytest.approx(value, abs=TOL), key
    assert metric.results == []  # cleared by evaluate


def test_metric_no_unknown_and_domain_kept():
    from mmopen.evaluation import OSDGMetric
    probs, gt = random_case(5, n=40, unknown_frac=0.0)
    metric = OSDGMetric(num_known=5, prefix='val')
    for batch in _batches(probs, gt, domain='photo'):
        metric.process({}, batch)
    assert {r['domain'] for r in metric.results} == {'photo'}
    assert metric.results[0]['pred_score'].dtype == np.float64
    out = metric.evaluate(len(gt))
    assert set(out) == {'val/known_acc', 'val/closed_acc', 'val/num_known_samples',
                        'val/num_unknown_samples'}


def test_metric_errors():
    from mmpretrain.registry import METRICS

    from mmopen.evaluation import OSDGMetric
    assert isinstance(METRICS.build(dict(type='OSDGMetric', num_known=5)), OSDGMetric)
    probs, gt = random_case(0, n=20)
    metric = OSDGMetric()
    metric.dataset_meta = dict(classes=list('abcdef'))
    for batch in _batches(probs, gt):
        metric.process({}, batch)
    with pytest.raises(ValueError, match='num_known=C.*known_classes'):
        metric.evaluate(len(gt))
    metric = OSDGMetric(num_known=4)  # the head has 6 columns, so C must be 5
    for batch in _batches(probs, gt):
        metric.process({}, batch)
    with pytest.raises(ValueError, match='6 columns but num_known=4 needs 5'):
        metric.evaluate(len(gt))
    with pytest.raises(KeyError, match='pred_score'):
        OSDGMetric(num_known=5).process({}, [dict(gt_label=torch.tensor([0]))])
    with pytest.raises(ValueError, match='convention'):
        OSDGMetric(num_known=5, convention='nope')
    with pytest.raises(ValueError, match='positive integer'):
        OSDGMetric(num_known=0)
