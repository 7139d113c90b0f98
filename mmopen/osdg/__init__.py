"""Pure open-set domain generalisation (OSDG) functions: the benchmark definitions and splits,
and the metrics (known / unknown accuracy, H-score, AUROC). SeeCLIP's parts are in
:mod:`mmopen.osdg.seeclip`; the registered shells are ``mmopen.datasets.OSDGDataset``,
``mmopen.evaluation.OSDGMetric`` and ``mmopen.models.osdg``."""
from .benchmarks import (OSDGBenchmark, holdout_split, list_domain_images, load_osdg_benchmark,
                         validate_benchmark)
from .metrics import osdg_metrics

__all__ = [
    'OSDGBenchmark', 'holdout_split', 'list_domain_images', 'load_osdg_benchmark',
    'validate_benchmark', 'osdg_metrics'
]
