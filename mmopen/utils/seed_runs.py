"""What the ablation tools over seeds share (``tools/analysis/*_ablation.py``): running a tool in
a logged subprocess, running (row, seed) jobs a few at a time with a line of progress each, the
``mean ± std (per seed)`` cell, and writing the table and its numbers.

A claim that one seed of the whole chain supports proves little (floating point differs between
machines and every tiny model downstream moves with it), so these tools report every row as the
mean and the sample standard deviation over the seeds, each seed's value beside it.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .io import write_json_atomic, write_text_atomic


class DistinctSeeds(argparse.Action):
    """``--seeds``: distinct seeds >= 0 (a seed given twice would count one run twice in a
    mean +- std and its "k of n seeds")."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(set(values)) != len(values) or min(values) < 0:
            parser.error(f'{option_string} {" ".join(map(str, values))}: give distinct seeds '
                         '>= 0.')
        setattr(namespace, self.dest, list(values))


def add_seed_arguments(parser, rows: Sequence[str], work_dir: str,
                       seeds: Sequence[int] = (0, 1, 2), jobs: int = 2) -> None:
    """The arguments every ablation tool over seeds takes: ``--seeds``, ``--rows`` (a subset of
    ``rows``), ``--work-dir``, ``--data`` (seed 0's quickstart world; seed ``k``'s is
    ``DATA-seed<k>``), ``--jobs`` and ``--resume``."""
    parser.add_argument('--seeds', type=int, nargs='+', default=list(seeds),
                        action=DistinctSeeds)
    parser.add_argument('--rows', nargs='+', choices=list(rows), default=list(rows))
    parser.add_argument('--work-dir', default=work_dir)
    parser.add_argument('--data', default='data/quickstart',
                        help='seed 0\'s quickstart world (seed k: DATA-seed<k>)')
    parser.add_argument('--jobs', type=int, default=jobs,
                        help='runs at once, each with one thread when more than one')
    parser.add_argument('--resume', action='store_true',
                        help='keep runs that already have metrics')


def run_tool(args: Sequence[str], log: str, cwd: str, threads: Optional[int] = 1) -> None:
    """Run ``python ARGS`` in ``cwd`` (the repository, on ``PYTHONPATH``), appending the command
    and its output to ``log``; ``threads`` sets ``OMP_NUM_THREADS`` (``None``: inherited).

    Raises:
        RuntimeError: the tool failed; the message ends with the log's last lines and names it.
    """
    env = dict(os.environ, PYTHONPATH=cwd)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    os.makedirs(osp.dirname(osp.abspath(log)), exist_ok=True)
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(args) + '\n')
        f.flush()
        proc = subprocess.run([sys.executable] + list(args), cwd=cwd, stdout=f,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{tail}\nFailed (exit {proc.returncode}): {" ".join(args)} '
                           f'(the whole log: {log})')


def cfg_options(opts: Sequence[str]) -> List[str]:
    """``['--cfg-options', *opts]``, or nothing for no options (an empty ``--cfg-options`` is an
    error for the tools)."""
    return ['--cfg-options'] + list(opts) if opts else []


def mean_std(values: Iterable[float], decimals: int = 1, per_seed: bool = True) -> str:
    """``'m ± s (v0 / v1 / ...)'``: the mean, the sample standard deviation (0 for one value)
    and, with ``per_seed``, each value in order."""
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        raise ValueError('mean_std needs at least one value.')
    std = v.std(ddof=1) if v.size > 1 else 0.0
    text = f'{v.mean():.{decimals}f} ± {std:.{decimals}f}'
    if per_seed:
        text += ' (' + ' / '.join(f'{x:.{decimals}f}' for x in v) + ')'
    return text


def run_over_seeds(todo: Sequence[Tuple[Hashable, int]],
                   job: Callable[[Hashable, int], dict],
                   describe: Callable[[Hashable, int, dict], str],
                   jobs: int = 1) -> Dict[Hashable, Dict[int, dict]]:
    """Run ``job(row, seed)`` for each pair of ``todo``, ``jobs`` at a time (threads: each job
    runs its tools in subprocesses), printing ``describe(row, seed, result)`` with the job's
    time as each finishes. Returns ``{row: {seed: result}}`` with the rows in ``todo``'s order.
    The first failure is raised once the running jobs end."""
    results: Dict[Hashable, Dict[int, dict]] = {}
    for row, _ in todo:
        results.setdefault(row, {})
    lock = threading.Lock()
    start = time.time()
    done = [0]

    def one(pair):
        row, seed = pair
        t = time.time()
        r = job(row, seed)
        with lock:
            results[row][seed] = r
            done[0] += 1
            print(f'[{done[0]}/{len(todo)}] {row} seed {seed}: {describe(row, seed, r)} '
                  f'({time.time() - t:.0f} s; {(time.time() - start) / 60:.1f} min so far)',
                  flush=True)

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        list(pool.map(one, todo))
    return results


def load_or_run(path: str, resume: bool, make: Callable[[], dict]) -> dict:
    """The result at ``path`` when ``resume`` and it is there, else ``make()`` (which writes
    it)."""
    if resume and osp.isfile(path):
        with open(path) as f:
            return json.load(f)
    return make()


def write_ablation(work: str, title: str, table: str,
                   results: Dict[Hashable, Dict[int, dict]]) -> str:
    """Write ``WORK/ablation.md`` (``title``, then ``table``) and ``WORK/ablation.json`` (every
    row's result per seed) atomically, print the text and return it."""
    text = title + '\n\n' + table + '\n'
    write_text_atomic(text, osp.join(work, 'ablation.md'))
    write_json_atomic({str(row): {str(s): v for s, v in r.items()}
                       for row, r in results.items()}, osp.join(work, 'ablation.json'))
    print('\n' + text)
    return text
