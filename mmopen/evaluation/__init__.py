"""Metrics (BaseMetric subclasses)."""
from .ood_metric import OODMetric
from .open_vocab_iou_metric import OpenVocabIoUMetric
from .osdg_metric import OSDGMetric

__all__ = ['OODMetric', 'OSDGMetric', 'OpenVocabIoUMetric']
