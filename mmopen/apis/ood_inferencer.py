"""``OODInferencer``: the ID prediction and every configured OOD score of each image.

    from mmopen.apis import OODInferencer
    ood = OODInferencer('clip-tiny-convnext_zero-shot-ood_quickstart', 'none',
                        threshold_from='work_dirs/ood_scores')
    result = ood('folder/of/images', out_dir='out')   # out/ood_predictions.csv

Scores are "higher = more in-distribution", as :class:`~mmopen.evaluation.OODMetric` reads
them. A test-time score (AdaNeg) adapts over a stream of test images: here the stream is the
call's images, in the order given (its memory starts empty at every call), so its value for one
image depends on the images before it; ``tools/test.py`` runs it over the benchmark's seeded
stream instead.
"""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch

from mmopen.ood.adaneg import stream_scores
from mmopen.ood.score_files import load_scores
from .base import RowsInferencer, write_csv


def tpr_thresholds(id_scores: Dict[str, object], tpr: float = 0.95) -> Dict[str, float]:
    """Per score, the threshold that keeps ``tpr`` of the ID samples (the largest ``t`` with at
    least ``ceil(tpr * n)`` ID scores ``>= t``): an image scoring below it is called OOD. A
    stream score's ID scores (one array per OOD set it ran with) are pooled."""
    if not 0 < tpr <= 1:
        raise ValueError(f'tpr={tpr}: must be in (0, 1].')
    out = {}
    for name, values in id_scores.items():
        if isinstance(values, dict):
            values = np.concatenate([np.asarray(v, np.float64) for v in values.values()])
        values = np.sort(np.asarray(values, np.float64))[::-1]
        if values.size == 0:
            raise ValueError(f'Score {name!r} has no ID sample to set a threshold with.')
        out[name] = float(values[int(np.ceil(tpr * values.size)) - 1])
    return out


class OODInferencer(RowsInferencer):
    """Classify images and score them for OOD detection with a CLIP OOD classifier
    (``CLIPOODClassifier``, ``EBMPromptClassifier``, ``SynOODClassifier``) or any mmpretrain
    classifier (scored with MSP, as ``OODMetric`` does).

    Args:
        model, weights, device, cfg_options, show_progress: see
            :class:`~mmopen.apis.base.MMOpenInferencer`.
        threshold_from: a folder of saved scores (``tools/test.py --save-scores DIR`` on the ID
            set): each score's threshold at ``tpr`` of its ID scores, and each image is called
            ID or OOD by it.
        tpr: the ID true-positive rate of the thresholds (0.95: the FPR95 operating point).

    A prediction is a dict: ``image`` (path or ``None``), ``pred_label``, ``pred_class``,
    ``pred_score`` (the top class probability), ``scores`` (``{name: value}``) and, with
    thresholds, ``is_ood`` (``{name: bool}``). ``out_dir`` writes them to
    ``out_dir/ood_predictions.csv``, one row per image.
    """
    default_scope = 'mmpretrain'

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: Optional[bool] = None,
                 threshold_from: Optional[str] = None,
                 tpr: float = 0.95) -> None:
        super().__init__(model, weights, device, cfg_options, show_progress)
        vocab = getattr(self.model, 'vocabulary', None)
        if vocab is not None:
            self.classes = list(vocab.names)
        else:
            self.classes = list((getattr(self.model, 'dataset_meta', None) or {}).get(
                'classes', ()))
        self.thresholds: Optional[Dict[str, float]] = None
        if threshold_from is not None:
            self.thresholds = tpr_thresholds(load_scores(threshold_from)['id_scores'], tpr)

    def _class_name(self, label: int) -> str:
        return self.classes[label] if label < len(self.classes) else str(label)

    def rows(self, inputs: list, preds: list) -> List[dict]:
        rows: List[dict] = []
        for item, ds in zip(inputs, preds):
            probs = ds.pred_score.float()
            label = int(ds.pred_label.reshape(-1)[0])
            scores = ds.get('ood_scores')
            if scores is None:
                scores = {'MSP': float(probs.max())}
            rows.append(dict(image=item if isinstance(item, str) else None, pred_label=label,
                             pred_class=self._class_name(label),
                             pred_score=float(probs[label]),
                             scores={k: float(v) for k, v in scores.items()}))
        # test-time scores: one stream over this call's images, in the order given
        streams = preds[0].get('ood_stream') or {} if preds else {}
        for name, first in streams.items():
            feats = torch.stack([ds.get('ood_stream')[name]['inputs']['feature']
                                 for ds in preds])
            values = stream_scores(first['state'], feats)
            for row, v in zip(rows, values.tolist()):
                row['scores'][name] = float(v)
        if self.thresholds is not None:
            for row in rows:
                row['is_ood'] = {k: row['scores'][k] < t for k, t in self.thresholds.items()
                                 if k in row['scores']}
        return rows

    def write(self, rows: List[dict], out_dir: str) -> None:
        write_predictions(rows, osp.join(out_dir, 'ood_predictions.csv'))


def write_predictions(rows: List[dict], path: str) -> None:
    """One row per image: ``image, pred_label, pred_class, pred_score``, every score, and each
    score's ``<name>_is_ood`` when thresholds are set."""
    names = list(rows[0]['scores']) if rows else []
    flags = list(rows[0].get('is_ood', {})) if rows else []
    write_csv(path, ['image', 'pred_label', 'pred_class', 'pred_score'] + names +
              [f'{n}_is_ood' for n in flags],
              [[r['image'] or f'array_{i:05d}', r['pred_label'], r['pred_class'],
                r['pred_score']] + [r['scores'][n] for n in names] +
               [int(r['is_ood'][n]) for n in flags] for i, r in enumerate(rows)])
