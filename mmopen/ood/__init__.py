"""Pure OOD-detection functions: scores, metrics, result tables, negative-label mining, and the
open-set domain generalisation (OSDG) metrics."""
from .metrics import CONVENTIONS, METRIC_NAMES, metrics_from_counts, ood_metrics, threshold_counts
from .osdg_metrics import osdg_metrics
from .scores import delta_energy, energy, max_logit, mcm, msp, neglabel, neglabel_group_index
from .summary import format_tables, split_key, summarize

__all__ = [
    'CONVENTIONS', 'METRIC_NAMES', 'metrics_from_counts', 'ood_metrics', 'threshold_counts',
    'osdg_metrics',
    'delta_energy', 'energy', 'max_logit', 'mcm', 'msp', 'neglabel', 'neglabel_group_index',
    'format_tables', 'split_key', 'summarize'
]
