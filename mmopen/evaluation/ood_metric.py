"""``OODMetric``: every configured OOD score on every OOD set, in both conventions."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from mmopen.ood import adaneg
from mmopen.ood.metrics import CONVENTIONS, check_recall_level
from mmopen.ood.score_files import save_scores
from mmopen.ood.summary import check_conventions, format_tables, summarize


def run_stream(state: dict, name: str, id_rows: List[dict], ood_rows: List[dict]):
    """Run a stream score (AdaNeg) from its ``state`` (values: the text banks and settings,
    :func:`mmopen.ood.adaneg.stream_state`), reported as ``name``, over the ID rows and one OOD
    set's rows: ``(ID scores, OOD scores)`` as float64 arrays in dataset order. Every row must
    come from that state (its key: the text bank and settings)."""
    keys = {r['streams'][name][0] for r in id_rows + ood_rows}
    if keys != {state['key']}:
        raise RuntimeError(
            f'Stream score {name!r}: the predictions come from {sorted(keys)} but the score '
            f'this process holds is {state["key"]}: evaluate one classifier per test run.')

    def feats(rows):
        return torch.from_numpy(np.stack([r['streams'][name][1] for r in rows]))

    id_scores, ood_scores = adaneg.run_stream(state, feats(id_rows), feats(ood_rows))
    return id_scores.numpy(), ood_scores.numpy()


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

    Test-time scores (``AdaNegScore``) arrive as per-sample inputs (``ood_stream``); the metric
    runs their stream once per OOD set (the ID set and that OOD set, in the score's seeded
    order, memory reset in between) in the main process, on all samples gathered in dataset
    order, so the result does not depend on the number of processes or the batch size. The
    score object arrives with the predictions (by reference) and is kept by this metric for
    the run; the gathered results carry only its key and the features.

    Args:
        conventions: ``('hendrycks', 'openood')`` or one of them.
        id_set: name of the ID set (default: the dataset's ``id_set`` metainfo, else ``'ID'``).
        groups: ``{group: [set, ...]}``; default: the dataset's ``ood_groups`` metainfo.
        recall_level: the TPR of FPR@TPR (0.95).
        save_scores: a folder to write every sample's scores to
            (:func:`mmopen.ood.score_files.save_scores`; ``tools/ood/eval_scores.py DIR``
            recomputes the same metrics from it).
        run_info: recorded in the saved manifest (``tools/test.py`` puts the model, config and
            git commit there).
    """
    default_prefix: Optional[str] = ''  # keys are already namespaced by score

    def __init__(self,
                 conventions: Sequence[str] = CONVENTIONS,
                 id_set: Optional[str] = None,
                 groups: Optional[Dict[str, Sequence[str]]] = None,
                 recall_level: float = 0.95,
                 save_scores: Optional[str] = None,
                 run_info: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.conventions = check_conventions(conventions)
        self._id_set = id_set
        self._groups = groups
        self.recall_level = check_recall_level(recall_level)
        self.save_scores = save_scores
        self.run_info = dict(run_info or {})
        self._stream_scores: dict = {}  # name -> stream score, this run (see process)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            scores = ds.get('ood_scores')
            if scores is None:
                if 'pred_score' not in ds:
                    raise KeyError('OODMetric needs predictions with `ood_scores` (e.g. from '
                                   'CLIPOODClassifier) or at least `pred_score`.')
                scores = {'MSP': ds['pred_score'].max()}
            gt = ds.get('gt_label')
            streams = ds.get('ood_stream') or {}
            self.results.append(dict(
                set=ds.get('ood_set'),
                idx=ds.get('sample_idx'),
                path=ds.get('img_path'),
                gt=int(gt.reshape(-1)[0]) if gt is not None else -1,
                pred=int(ds['pred_label'].reshape(-1)[0]) if 'pred_label' in ds else -1,
                scores={k: float(v) for k, v in scores.items()},
                streams={k: (v['key'], v['inputs']['feature'].numpy())
                         for k, v in streams.items()}))
            for k, v in streams.items():
                self._stream_scores.setdefault(k, v['state'])

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
        if all(r.get('idx') is not None for r in results):
            # dataset order, whatever the sampler and the number of processes
            results = sorted(results, key=lambda r: r['idx'])
        id_rows = [r for r in results if r['set'] == id_set]
        out: Dict[str, float] = OrderedDict()
        labelled = [r for r in id_rows if r['gt'] >= 0 and r['pred'] >= 0]
        if labelled:
            out['id_accuracy/top1'] = 100.0 * float(np.mean([r['pred'] == r['gt']
                                                          for r in labelled]))
        score_names = list(id_rows[0]['scores'])

        def scores_of(rows):
            return {k: np.array([r['scores'][k] for r in rows]) for k in score_names}

        rows_of = {s: [r for r in results if r['set'] == s] for s in ood_sets}
        rows_of[id_set] = id_rows
        id_scores = scores_of(id_rows)
        ood_scores = {s: scores_of(rows_of[s]) for s in ood_sets}
        streams, self._stream_scores = self._stream_scores, {}
        for name in id_rows[0].get('streams', {}):
            if name not in streams:
                raise RuntimeError(
                    f'Stream score {name!r}: this process saw none of its predictions, so it '
                    'does not hold the score to run the stream (give every process samples).')
            id_scores[name] = {}
            for s in ood_sets:
                id_scores[name][s], ood_scores[s][name] = run_stream(streams[name], name,
                                                                     id_rows, rows_of[s])
        if self.save_scores:
            paths = {s: [r.get('path') for r in rows_of[s]] for s in [id_set] + ood_sets}
            path = save_scores(self.save_scores, id_set, id_scores, ood_scores, groups,
                               self.conventions, self.recall_level, self.run_info,
                               paths=paths if all(None not in v for v in paths.values())
                               else None)
            print_log(f'Saved the OOD scores to {path}', logger='current')
        out.update(summarize(id_scores, ood_scores, groups, self.conventions,
                             self.recall_level))
        for conv, table in format_tables(out).items():
            print_log(f'OOD detection ({conv} convention, x100):\n{table}', logger='current')
        return out
