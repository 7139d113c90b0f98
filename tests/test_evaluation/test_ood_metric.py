"""OODMetric against the pure metric functions."""
import numpy as np
import pytest

import mmopen  # noqa: F401
from mmopen.ood.metrics import ood_metrics


def test_ood_metric_against_pure_functions():
    from mmopen.evaluation import OODMetric
    rng = np.random.default_rng(0)
    results = []
    for name, n, mu in (('ID', 50, 1.0), ('a', 30, 0.0), ('b', 20, 0.5)):
        for i in range(n):
            results.append(dict(set=name, gt=i % 3 if name == 'ID' else -1,
                                pred=0 if name == 'ID' else 1,
                                scores=dict(S1=float(rng.normal(mu)), S2=float(rng.normal()))))
    metric = OODMetric(groups=dict(near=['b']))
    out = metric.compute_metrics(results)
    ids = np.array([r['scores']['S1'] for r in results if r['set'] == 'ID'])
    a = np.array([r['scores']['S1'] for r in results if r['set'] == 'a'])
    b = np.array([r['scores']['S1'] for r in results if r['set'] == 'b'])
    ra, rb = ood_metrics(ids, a), ood_metrics(ids, b)
    assert out['S1/a/hendrycks/AUROC'] == pytest.approx(100 * ra['hendrycks']['AUROC'])
    assert out['S1/b/openood/FPR95'] == pytest.approx(100 * rb['openood']['FPR95'])
    assert out['S1/average/hendrycks/FPR95'] == pytest.approx(
        50 * (ra['hendrycks']['FPR95'] + rb['hendrycks']['FPR95']))
    assert out['S1/near/openood/AUPR_IN'] == pytest.approx(100 * rb['openood']['AUPR_IN'])
    assert out['id_accuracy/top1'] == pytest.approx(100 * np.mean([i % 3 == 0 for i in range(50)]))
    assert 'S2/a/hendrycks/AUROC' in out
    with pytest.raises(ValueError, match='No OOD sample'):
        metric.compute_metrics([r for r in results if r['set'] == 'ID'])
