"""``OODMetric``: every configured OOD score on every OOD set, in both conventions."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from mmopen.ood.metrics import CONVENTIONS
from mmopen.ood.summary import check_conventions, format_tables, summarize


@METRICS.register_module()
class OODMetric(BaseMetric):
    """OOD detection metrics (x100) for each score and OOD set, plus ID top-1 accuracy.

    Expects each prediction to carry ``ood_scores`` (``{score name: value}``, higher = more ID;
    e.g. from ``CLIPOODClassifier``) and ``ood_set`` (the set the sample comes from, e.g. from
    ``OODBenchmarkDataset``). A prediction without ``ood_scores`` but with ``pred_score`` (any
    mmpretrain classifier) is scored with MSP (``max pred_score``).

    Keys: ``{score}/{set}/{convention}/{AUROC|AUPR_IN|AUPR_OUT|FPR95}``, the same with
    ``set = average`` (over all OOD sets) and with each group of ``groups`` (e.g. ``near`` /
    ``far`` for OpenOOD v1.5), and ``id_accuracy/top1`` on the ID set. A table per convention is
    logged. Sampler padding is never counted: results are collected by ``BaseMetric``.

    Args:
        conventions: ``('hendrycks', 'openood')`` or one of them.
        id_set: name of the ID set (default: the dataset's ``id_set`` metainfo, else ``'ID'``).
        groups: ``{group: [set, ...]}``; default: the dataset's ``ood_groups`` metainfo.
        recall_level: the TPR of FPR@TPR (0.95).
    """
    default_prefix: Optional[str] = ''  # keys are already namespaced by score

    def __init__(self,
                 conventions: Sequence[str] = CONVENTIONS,
                 id_set: Optional[str] = None,
                 groups: Optional[Dict[str, Sequence[str]]] = None,
                 recall_level: float = 0.95,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.conventions = check_conventions(conventions)
        self._id_set = id_set
        self._groups = groups
        self.recall_level = recall_level

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            scores = ds.get('ood_scores')
            if scores is None:
                if 'pred_score' not in ds:
                    raise KeyError('OODMetric needs predictions with `ood_scores` (e.g. from '
                                   'CLIPOODClassifier) or at least `pred_score`.')
                scores = {'MSP': ds['pred_score'].max()}
            gt = ds.get('gt_label')
            self.results.append(dict(
                set=ds.get('ood_set'),
                gt=int(gt.reshape(-1)[0]) if gt is not None else -1,
                pred=int(ds['pred_label'].reshape(-1)[0]) if 'pred_label' in ds else -1,
                scores={k: float(v) for k, v in scores.items()}))

    def _meta(self, key, default):
        meta = self.dataset_meta or {}
        return meta.get(key, default)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        id_set = self._id_set or self._meta('id_set', 'ID')
        groups = self._groups if self._groups is not None else self._meta('ood_groups', {})
        sets = list(OrderedDict.fromkeys(r['set'] for r in results))
        if None in sets:
            raise KeyError('Some predictions carry no `ood_set`: evaluate with '
                           'OODBenchmarkDataset (and PackInputs(meta_keys=(..., "ood_set"))).')
        if id_set not in sets:
            raise ValueError(f'No sample of the ID set {id_set!r} among the predictions (sets: '
                             f'{sets}); set OODMetric(id_set=...) to the ID set name.')
        ood_sets = [s for s in sets if s != id_set]
        if not ood_sets:
            raise ValueError('No OOD sample among the predictions: OOD metrics need OOD sets.')
        id_rows = [r for r in results if r['set'] == id_set]
        out: Dict[str, float] = OrderedDict()
        labelled = [r for r in id_rows if r['gt'] >= 0 and r['pred'] >= 0]
        if labelled:
            out['id_accuracy/top1'] = 100.0 * float(np.mean([r['pred'] == r['gt']
                                                          for r in labelled]))
        score_names = list(id_rows[0]['scores'])

        def scores_of(rows):
            return {k: np.array([r['scores'][k] for r in rows]) for k in score_names}

        out.update(summarize(
            scores_of(id_rows), {s: scores_of([r for r in results if r['set'] == s])
                                 for s in ood_sets},
            groups, self.conventions, self.recall_level))
        for conv, table in format_tables(out).items():
            print_log(f'OOD detection ({conv} convention, x100):\n{table}', logger='current')
        return out
