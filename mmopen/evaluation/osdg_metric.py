"""``OSDGMetric``: open-set domain generalisation metrics (known / unknown accuracy, H-score,
closed-set accuracy, AUROC / FPR95 of the unknown probability) for SeeCLIP-style models."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from mmopen.ood.metrics import CONVENTIONS
from mmopen.osdg.metrics import osdg_metrics


def _to_numpy(x) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@METRICS.register_module()
class OSDGMetric(BaseMetric):
    """OSDG metrics (x100) from ``C + 1``-way predictions, column ``C`` being "unknown".

    Expects each prediction to carry ``pred_score`` (``C + 1`` class probabilities) and
    ``gt_label`` (in ``[0, C]``, ``C`` for a sample of an unseen class), as mmpretrain's
    ``DataSample`` holds them. Keys (with the ``osdg/`` prefix): ``known_acc``,
    ``unknown_acc``, ``hscore``, ``closed_acc``, ``AUROC``, ``AUPR_IN``, ``AUPR_OUT``,
    ``FPR95``, ``num_known_samples``, ``num_unknown_samples``; see
    :func:`mmopen.osdg.metrics.osdg_metrics` for their definitions. Without unknown samples
    (validation on held-out source data) only the known / closed accuracies and the counts are
    reported.

    A per-sample ``domain`` metainfo, when present, is kept in the collected rows (for a
    per-domain breakdown) but does not change the metrics. A per-sample ``semantic_tokens``
    metainfo (``SeeCLIPClassifier``'s probe of its semantic tokens,
    :func:`mmopen.osdg.seeclip.semantic_tokens.token_diagnostics`) is averaged into ``token_cos``
    (mean pairwise cosine of an image's tokens), ``token_spread`` (how far apart they are as a
    share of how far apart its patches are) and ``attention_entropy`` (mean attention entropy as
    a share of ``log N``); these three are not x100. Sampler padding is never counted:
    results are collected by ``BaseMetric``, so single- and multi-process evaluation see the
    same rows.

    Args:
        num_known: ``C``, the number of known classes (default: ``len(known_classes)`` or
            ``num_known`` of the dataset's metainfo).
        convention: ``'hendrycks'`` (default) or ``'openood'``, for AUROC / AUPR / FPR95.
        recall_level: the known-class recall of FPR@recall (0.95).
    """
    default_prefix: Optional[str] = 'osdg'

    def __init__(self,
                 num_known: Optional[int] = None,
                 convention: str = 'hendrycks',
                 recall_level: float = 0.95,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if convention not in CONVENTIONS:
            raise ValueError(f'Unknown convention {convention!r}: use one of {CONVENTIONS}.')
        if num_known is not None and (isinstance(num_known, bool) or not isinstance(
                num_known, (int, np.integer)) or num_known < 1):
            raise ValueError(f'num_known must be a positive integer, got {num_known!r}.')
        self._num_known = num_known
        self.convention = convention
        self.recall_level = recall_level

    @property
    def num_known(self) -> int:
        """``C``: the argument, else the dataset's ``known_classes`` / ``num_known`` metainfo."""
        if self._num_known is not None:
            return int(self._num_known)
        meta = self.dataset_meta or {}
        if meta.get('known_classes') is not None:
            return len(meta['known_classes'])
        if meta.get('num_known') is not None:
            return int(meta['num_known'])
        raise ValueError('OSDGMetric cannot tell the number of known classes: pass '
                         'OSDGMetric(num_known=C) or give the dataset a `known_classes` or '
                         f'`num_known` metainfo (metainfo keys: {sorted(meta)}).')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            if 'pred_score' not in ds or 'gt_label' not in ds:
                raise KeyError('OSDGMetric needs predictions with `pred_score` (C+1 class '
                               'probabilities, "unknown" last) and `gt_label`; missing '
                               f'{[k for k in ("pred_score", "gt_label") if k not in ds]}.')
            row = dict(pred_score=_to_numpy(ds['pred_score']).astype(np.float64).ravel(),
                       gt=int(_to_numpy(ds['gt_label']).reshape(-1)[0]))
            domain = ds.get('domain')
            if domain is not None:
                row['domain'] = domain
            probe = ds.get('semantic_tokens')
            if probe is not None:
                row['semantic_tokens'] = dict(probe)
            self.results.append(row)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('OSDGMetric got no prediction to evaluate.')
        widths = {r['pred_score'].size for r in results}
        if len(widths) > 1:
            raise ValueError(f'pred_score has different lengths across samples: '
                             f'{sorted(widths)}; every prediction needs C+1 probabilities.')
        probs = np.stack([r['pred_score'] for r in results])
        gt = np.array([r['gt'] for r in results], dtype=np.int64)
        out = osdg_metrics(probs, gt, self.num_known, recall_level=self.recall_level,
                           convention=self.convention)
        probes = [r['semantic_tokens'] for r in results if 'semantic_tokens' in r]
        if probes:
            for key in ('token_cos', 'token_spread', 'attention_entropy'):
                out[key] = float(np.mean([p[key] for p in probes]))
        summary = ', '.join(f'{k} {v:.2f}' if isinstance(v, float) else f'{k} {v}'
                            for k, v in out.items())
        print_log(f'OSDG ({self.convention} convention, x100): {summary}', logger='current')
        return out
