"""``OSDGInferencer``: a known class, or "unknown", for each image (open-set domain
generalisation with SeeCLIP).

    from mmopen.apis import OSDGInferencer
    osdg = OSDGInferencer('seeclip_clip-tiny-vit_quickstart-shapes-cartoon_pseudo-unknowns',
                          'best_osdg_hscore:work_dirs/quickstart/seed0/seeclip-on')
    osdg('cartoon.png')   # {'class': 'unknown', 'p_unknown': 0.91, ...}
"""
import os.path as osp
from typing import List, Optional

from .base import RowsInferencer, write_csv

UNKNOWN = 'unknown'


class OSDGInferencer(RowsInferencer):
    """Name the known class of each image or call it unknown, with a ``C + 1``-way open-set
    classifier whose last column is "unknown" (``SeeCLIPClassifier``): the decision is the
    arg-max over the ``C + 1`` probabilities, as ``OSDGMetric`` scores it.

    A prediction is a dict: ``image`` (path or ``None``), ``label`` (``C`` for unknown),
    ``class`` (a known class name or ``'unknown'``), ``p_unknown``, ``known_class`` and
    ``p_known_class`` (the most likely known class and its probability, whatever the decision)
    and ``probabilities`` (``{class: p}``, ``'unknown'`` last). ``out_dir`` writes them to
    ``out_dir/osdg_predictions.csv``.
    """
    default_scope = 'mmpretrain'

    def __init__(self, model, weights: Optional[str] = None, device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: Optional[bool] = None) -> None:
        super().__init__(model, weights, device, cfg_options, show_progress)
        names = getattr(self.model, 'class_names', None)
        if not names:
            raise ValueError(f'{type(self.model).__name__} has no class_names: the OSDG '
                             'inferencer needs an open-set classifier such as '
                             'SeeCLIPClassifier.')
        self.classes = list(names) + [UNKNOWN]

    def rows(self, inputs: list, preds: list) -> List[dict]:
        rows: List[dict] = []
        for item, ds in zip(inputs, preds):
            probs = ds.pred_score.float()
            if probs.numel() != len(self.classes):
                raise RuntimeError(f'The model gave {probs.numel()} probabilities for '
                                   f'{len(self.classes) - 1} known classes and unknown.')
            label = int(probs.argmax())
            known = int(probs[:-1].argmax())
            rows.append(dict(image=item if isinstance(item, str) else None, label=label,
                             **{'class': self.classes[label]}, p_unknown=float(probs[-1]),
                             known_class=self.classes[known], p_known_class=float(probs[known]),
                             probabilities={c: float(p) for c, p in zip(self.classes, probs)}))
        return rows

    def write(self, rows: List[dict], out_dir: str) -> None:
        write_csv(osp.join(out_dir, 'osdg_predictions.csv'),
                  ['image', 'class', 'p_unknown', 'known_class', 'p_known_class'],
                  [[r['image'] or f'array_{i:05d}', r['class'], r['p_unknown'],
                    r['known_class'], r['p_known_class']] for i, r in enumerate(rows)])
