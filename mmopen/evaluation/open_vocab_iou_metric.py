"""``OpenVocabIoUMetric``: mmseg's ``IoUMetric`` plus the mean IoU over the classes seen in
training, over the unseen ones, and their harmonic mean (hIoU, the zero-shot segmentation
protocol of Xian et al. 2019, ZegFormer and others)."""
from typing import Dict, Sequence, Union

import numpy as np
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from mmopen.clip.vocabularies import Vocabulary, metainfo_vocabulary
from mmopen.ovs.metrics import seen_unseen_iou


@METRICS.register_module()
class OpenVocabIoUMetric(IoUMetric):
    """``IoUMetric`` whose results also split the classes into those seen in training and the
    rest.

    Args:
        seen_classes: the training vocabulary (a shipped name, a file or a list); a class of
            the evaluated dataset is seen when one of its names is a name of a seen class.
        Other arguments: as ``IoUMetric``.
    """

    def __init__(self, seen_classes: Union[str, Sequence], iou_metrics=('mIoU', ),
                 **kwargs):
        super().__init__(iou_metrics=list(iou_metrics), **kwargs)
        self.seen_classes = Vocabulary.load(seen_classes)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        columns = tuple(zip(*results))
        inter, union = sum(columns[0]), sum(columns[1])
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = (inter.double() / union.double()).numpy()
        vocab = metainfo_vocabulary(self.dataset_meta, 'the dataset\'s classes')
        if vocab is None:
            raise ValueError('OpenVocabIoUMetric needs the dataset\'s classes (dataset_meta '
                             '"classes" or "vocabulary") to tell seen from unseen classes.')
        seen = vocab.seen(self.seen_classes)
        metrics.update({k: round(v, 2) for k, v in seen_unseen_iou(iou, seen).items()})
        return metrics
