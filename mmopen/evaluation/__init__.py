"""Metrics (BaseMetric subclasses)."""
from .ood_metric import OODMetric, ood_tables, split_ood_key

__all__ = ['OODMetric', 'ood_tables', 'split_ood_key']
