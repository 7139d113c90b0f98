"""The benchmark scripts run (small sizes here; the issue numbers come from their defaults)."""
import re

from tests.tool_runner import run_tool


def test_ood_metrics_benchmark_runs_and_agrees():
    text = run_tool(['benchmarks/ood_metrics.py', '--n', '20000', '--repeats', '1']).stdout
    assert 'speed-up' in text
    diff = float(re.search(r'max \|difference\| = ([0-9.e+-]+)', text).group(1))
    assert diff < 1e-9


def test_neglabel_benchmark_runs():
    text = run_tool(['benchmarks/neglabel.py', '--batch', '8', '--classes', '50', '--negatives',
                 '500', '--csp-negatives', '600', '--groups', '10', '--stream-batches', '3',
                 '--repeats', '2']).stdout
    for name in ('NegLabel', 'CSP', 'AdaNeg'):
        assert re.search(rf'{name} +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x', text), name


def test_synood_benchmark_runs():
    text = run_tool(['benchmarks/synood.py', '--size', '32', '--repeats', '1',
                     '--outer-iters', '1']).stdout
    per_iter = float(re.search(r'overhead per outer iteration = ([0-9.]+)x', text).group(1))
    assert per_iter > 0
    m = re.search(r'ratio \(full / skip\): time = ([0-9.]+)x, memory = ([0-9.]+)x', text)
    assert m and float(m.group(1)) > 0
