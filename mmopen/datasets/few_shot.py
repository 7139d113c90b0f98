"""A K-shot subset of a classification dataset (few-shot prompt learning, e.g. 16-shot
ImageNet as in CoOp / CRoFT)."""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class FewShotDataset(BaseDataset):
    """The first ``shots`` samples of every class after a seeded shuffle of ``dataset``.

    The selection depends only on ``seed`` and the wrapped dataset's order, so every process of
    a distributed run (and every rerun) gets the same subset. A class with fewer than ``shots``
    samples keeps all of them (a warning says which).

    Args:
        dataset: config of the wrapped dataset (its ``pipeline`` is ignored; this dataset's
            ``pipeline`` applies).
        shots: samples per class (16, or 1 for 1-shot).
    """

    def __init__(self, dataset: dict, shots: int = 16, seed: int = 1, **kwargs):
        if shots < 1:
            raise ValueError(f'shots={shots} must be >= 1.')
        self.inner_cfg = dict(dataset)
        self.shots = shots
        self.seed = seed
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        from mmengine.logging import print_log
        cfg = dict(self.inner_cfg, pipeline=[], lazy_init=False)
        inner = DATASETS.build(cfg)
        labels = np.array([int(np.asarray(inner.get_data_info(i)['gt_label']).reshape(-1)[0])
                           for i in range(len(inner))])
        order = np.random.default_rng(self.seed).permutation(len(inner))
        picked, short = [], []
        for c in np.unique(labels):
            members = order[labels[order] == c][:self.shots]
            if len(members) < self.shots:
                short.append(int(c))
            picked.extend(members.tolist())
        if short:
            print_log(f'FewShotDataset: classes {short[:10]} have fewer than {self.shots} '
                      'samples; all of theirs are used.', logger='current')
        self._metainfo.update(classes=tuple(inner.metainfo.get('classes', ())))
        return [dict(inner.get_data_info(i)) for i in sorted(picked)]
