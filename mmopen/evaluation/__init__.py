"""Metrics (BaseMetric subclasses)."""
from .ood_metric import OODMetric
from .open_vocab_iou_metric import OpenVocabIoUMetric, seen_unseen_iou

__all__ = ['OODMetric', 'OpenVocabIoUMetric', 'seen_unseen_iou']
