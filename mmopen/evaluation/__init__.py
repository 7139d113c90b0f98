"""Metrics (BaseMetric subclasses)."""
from .ood_metric import OODMetric

__all__ = ['OODMetric']
