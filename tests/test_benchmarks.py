"""The benchmark scripts run (small sizes here; the issue numbers come from their defaults)."""
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _run(args):
    out = subprocess.run([sys.executable] + args, cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_ood_metrics_benchmark_runs_and_agrees():
    text = _run(['benchmarks/ood_metrics.py', '--n', '20000', '--repeats', '1'])
    assert 'speed-up' in text
    diff = float(re.search(r'max \|difference\| = ([0-9.e+-]+)', text).group(1))
    assert diff < 1e-9


def test_neglabel_benchmark_runs():
    text = _run(['benchmarks/neglabel.py', '--batch', '8', '--classes', '50', '--negatives',
                 '500', '--groups', '10', '--repeats', '2'])
    assert re.search(r'ratio \(NegLabel / matmul\) = [0-9.]+x', text)
