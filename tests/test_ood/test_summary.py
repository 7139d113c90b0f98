"""One summary of OOD results: the metric's and the score-file tool's numbers are the same
computation, groups are means of their sets, and tables list every (score, set) row once."""

import numpy as np
import pytest

from mmopen.ood import format_tables, ood_metrics, summarize
from tests.tool_runner import load_tool


def _scores(seed=0):
    rng = np.random.default_rng(seed)
    id_scores = dict(A=rng.normal(1, 1, 40), B=rng.normal(0.5, 1, 40))
    ood = {s: dict(A=rng.normal(mu, 1, n), B=rng.normal(0, 1, n))
           for s, mu, n in (('near1', 0.6, 25), ('near2', 0.3, 15), ('far', -1.0, 30))}
    return id_scores, ood


def test_summary_against_per_set_metrics():
    id_scores, ood = _scores()
    out = summarize(id_scores, ood, groups=dict(near=['near1', 'near2', 'absent'], empty=['x']))
    per = {s: ood_metrics(id_scores['A'], ood[s]['A']) for s in ood}
    for s in ood:
        assert out[f'A/{s}/hendrycks/AUROC'] == pytest.approx(100 * per[s]['hendrycks']['AUROC'])
    assert out['A/near/openood/FPR95'] == pytest.approx(
        50 * (per['near1']['openood']['FPR95'] + per['near2']['openood']['FPR95']))
    assert out['A/average/hendrycks/AUPR_OUT'] == pytest.approx(
        100 * np.mean([per[s]['hendrycks']['AUPR_OUT'] for s in ood]))
    assert not [k for k in out if '/empty/' in k]
    # rows: 2 scores x (3 sets + average + near) x 2 conventions x 4 metrics
    assert len(out) == 2 * 5 * 2 * 4
    tables = format_tables(out)
    assert set(tables) == {'hendrycks', 'openood'}
    assert tables['hendrycks'].count(' near1 ') == 2  # once per score


def test_the_score_file_tool_computes_what_the_metric_computes():
    from mmopen.evaluation import OODMetric
    id_scores, ood = _scores(1)
    results = [dict(set='ID', gt=-1, pred=-1, scores=dict(A=float(v))) for v in id_scores['A']]
    for s in ood:
        results += [dict(set=s, gt=-1, pred=-1, scores=dict(A=float(v))) for v in ood[s]['A']]
    metric_out = OODMetric().compute_metrics(results)
    tool = load_tool('tools/ood/eval_scores.py')
    tool_out = tool.compute(id_scores['A'], {s: v['A'] for s, v in ood.items()}, name='A')
    assert tool_out == {k: v for k, v in metric_out.items() if k.startswith('A/')}
    # and both are the AUROC by its definition, the share of (ID, OOD) pairs ranked right (ties
    # half), written here (both conventions rank ID above OOD)
    for s, scores in ood.items():
        i, o = np.asarray(id_scores['A'])[:, None], np.asarray(scores['A'])[None, :]
        pairs = 100 * float(np.mean((i > o) + 0.5 * (i == o)))
        for convention in ('hendrycks', 'openood'):
            assert tool_out[f'A/{s}/{convention}/AUROC'] == pytest.approx(pairs, abs=1e-9)


def test_unknown_convention_and_missing_scores():
    id_scores, ood = _scores()
    with pytest.raises(ValueError, match='Unknown OOD metric conventions'):
        summarize(id_scores, ood, conventions=['sklearn'])
    del ood['far']['B']
    with pytest.raises(KeyError, match="'far' has no 'B' scores"):
        summarize(id_scores, ood)
