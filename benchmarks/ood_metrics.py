"""Benchmark: all four OOD metrics in both conventions on 4M scores (half ID), mmopen versus
the equivalent scikit-learn calls, measured in the same run.

    python benchmarks/ood_metrics.py [--n 4000000] [--repeats 3]

The scikit-learn route is what the reference code bases run: ``roc_auc_score``,
``average_precision_score`` twice, and the nearest-recall FPR@95 on ``roc_curve`` (hendrycks);
``roc_curve``, ``precision_recall_curve`` twice and ``auc`` (OpenOOD v1.5). Scores are
rounded to 3 decimals so that the data has heavy ties. Prints the times, the largest
difference between the two routes and the speed-up ratio.
"""
import argparse
import sys

import numpy as np
from timing import median_times

from mmopen.ood.metrics import ood_metrics


def sklearn_route(ids, oods):
    from sklearn import metrics as skm
    y = np.r_[np.ones(ids.size), np.zeros(oods.size)]
    s = np.r_[ids, oods]
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    fpr, tpr = fpr[1:], tpr[1:]
    last = int(np.flatnonzero(tpr >= 1.0)[0])
    rev = tpr[last::-1]
    h_fpr = fpr[last - int(np.argmin(np.abs(rev - 0.95)))]
    hend = dict(AUROC=skm.roc_auc_score(y, s), AUPR_IN=skm.average_precision_score(y, s),
                AUPR_OUT=skm.average_precision_score(1 - y, -s), FPR95=h_fpr)
    fpr_l, tpr_l, _ = skm.roc_curve(1 - y, -s)
    p_in, r_in, _ = skm.precision_recall_curve(y, s)
    p_out, r_out, _ = skm.precision_recall_curve(1 - y, -s)
    oo = dict(AUROC=skm.auc(fpr_l, tpr_l), AUPR_IN=skm.auc(r_in, p_in),
              AUPR_OUT=skm.auc(r_out, p_out), FPR95=fpr_l[np.argmax(tpr_l >= 0.95)])
    return dict(hendrycks=hend, openood=oo)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=4_000_000)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    ids = np.round(rng.normal(0.6, 1.0, args.n // 2), 3)
    oods = np.round(rng.normal(0.0, 1.0, args.n - args.n // 2), 3)
    ours, ref = ood_metrics(ids, oods), sklearn_route(ids, oods)
    t_mm, t_sk = median_times([lambda: ood_metrics(ids, oods), lambda: sklearn_route(ids, oods)],
                              args.repeats, warmup=False)
    diff = max(abs(ours[c][k] - ref[c][k]) for c in ref for k in ref[c])
    print(f'{args.n} scores ({args.n // 2} ID), all metrics, both conventions, '
          f'median of {args.repeats}:')
    print(f'  mmopen        {t_mm:8.3f} s')
    print(f'  scikit-learn  {t_sk:8.3f} s')
    print(f'  max |difference| = {diff:.2e}')
    print(f'  speed-up (scikit-learn / mmopen) = {t_sk / t_mm:.2f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main())
