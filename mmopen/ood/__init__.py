"""Pure OOD-detection functions: scores, metrics, result tables, negative-label mining; SynOOD's
synthesis in :mod:`mmopen.ood.synood`. (The OSDG metrics are in :mod:`mmopen.osdg`.)"""
from .metrics import CONVENTIONS, METRIC_NAMES, metrics_from_counts, ood_metrics, threshold_counts
from .scores import delta_energy, energy, max_logit, mcm, msp, neglabel, neglabel_group_index
from .summary import format_tables, split_key, summarize

__all__ = [
    'CONVENTIONS', 'METRIC_NAMES', 'metrics_from_counts', 'ood_metrics', 'threshold_counts',
    'delta_energy', 'energy', 'max_logit', 'mcm', 'msp', 'neglabel', 'neglabel_group_index',
    'format_tables', 'split_key', 'summarize'
]
