"""Check the paper configs at their real size: each config's real CLIP / diffusion / classifier
architecture with random-initialised weights (nothing downloaded), a few synthetic samples in
its real data layout, one training iteration / test batch / generated image at its real input
size. Prints (and writes) a table: config, kind, architecture, parameters, build time, seconds
per iteration, peak memory, rc.

    python tools/misc/check_configs.py                         # every non-quickstart config
    python tools/misc/check_configs.py configs/ood/csp/*.py    # some
    python tools/misc/check_configs.py --reduced               # the test suite's small form

Each config runs in its own process (its peak memory is its own; forked from the tool's process,
which has imported mmopen already, where the platform forks), in a sandbox folder that
stands in for the working directory (``--work-dir``/sandbox: ``checkpoints/`` links into the
weight cache, ``data/`` synthetic); logs go to ``--work-dir``/logs/<config>.log. Finished rows
are kept in ``--work-dir``/rows/: a rerun skips them (``--force`` redoes them). What the check
changes from a real run (one prompt template, one iteration, no validation): see
``tools/misc/real_size.py``.
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import subprocess
import sys
import time

from mmopen.utils.child_output import output_to_log
from mmopen.utils.io import write_json_atomic, write_text_atomic
from mmopen.utils.launch import fork_is_safe
from mmopen.utils.tool_main import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the check's machinery, beside this script (loaded by path: tools are not a package)
real_size = load_tool(osp.join(osp.dirname(osp.abspath(__file__)), 'real_size.py'))
check_config, paper_configs = real_size.check_config, real_size.paper_configs


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('configs', nargs='*', help='configs to check (default: every non-quickstart '
                   'config under configs/)')
    p.add_argument('--work-dir', default='work_dirs/check_configs',
                   help='sandbox, logs and finished rows')
    p.add_argument('--cache', default=None, help='weight cache (default $MMOPEN_CHECK_CACHE or '
                   '~/.cache/mmopen/check_configs)')
    p.add_argument('--reduced', action='store_true', help='segmentation input sizes / 8, '
                   'batch 2, generation at 64 px with one outer iteration')
    p.add_argument('--amp', action='store_true', help='train with AmpOptimWrapper (CUDA)')
    p.add_argument('--iters', type=int, default=1, help='training iterations (s / iter: their '
                   'median, the first left out when there are more than two)')
    p.add_argument('--stock-head', action='store_true', help='OVSNet configs with mmseg\'s '
                   'stock Mask2FormerHead instead of OVSNetHead (the speed / memory baseline)')
    p.add_argument('--timeout', type=float, default=3600, help='seconds per config')
    p.add_argument('--force', action='store_true', help='redo finished rows')
    p.add_argument('--out', default=None, help='also write the table (markdown) here')
    p.add_argument('--one', help=argparse.SUPPRESS)   # the per-config child process
    p.add_argument('--row', help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def run_child(args) -> int:
    row = check_config(args.one, osp.join(args.work_dir, 'sandbox'), args.cache,
                       reduced=args.reduced, amp=args.amp, iters=args.iters,
                       stock=args.stock_head)
    write_json_atomic(row, args.row)
    print('ROW ' + json.dumps(row))
    return 0


def _forked_child(argv, log_path: str) -> None:
    output_to_log(log_path)
    os.chdir(REPO)
    sys.exit(run_child(parse_args(argv)))


def run_one(argv, log_path: str, timeout: float) -> int:
    """Run ``--one`` ``argv`` in its own process with its output in ``log_path``: its exit
    status, 124 on timeout. Where the platform forks, the process is forked from this one, which
    has imported mmopen already (10-15 s a process on 2 cores); otherwise, and wherever a GPU is
    present (:func:`mmopen.utils.launch.fork_is_safe`: a child forked after CUDA was queried
    could not use it), a new interpreter."""
    if 'fork' in multiprocessing.get_all_start_methods() and fork_is_safe():
        sys.stdout.flush()
        sys.stderr.flush()
        proc = multiprocessing.get_context('fork').Process(target=_forked_child,
                                                           args=(argv, log_path))
        proc.start()
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join()
            return 124
        return proc.exitcode
    with open(log_path, 'w') as log:
        try:
            return subprocess.run([sys.executable, osp.abspath(__file__)] + list(argv),
                                  stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                                  cwd=REPO).returncode
        except subprocess.TimeoutExpired:
            return 124


def _fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else '-'


def table(rows) -> str:
    head = ('| config | kind | architecture | params (M) | trainable (M) | build s | s / iter '
            '| loss first -> last | peak RSS GB | peak CUDA GB | rc |')
    lines = [head, '|' + '---|' * 11]
    for r in rows:
        loss = '-' if 'loss_first' not in r else (
            f'{r["loss_first"]:.3g} -> {r["loss_last"]:.3g}'
            + ('' if r.get('loss_finite', True) else ' (not finite)'))
        lines.append('| ' + ' | '.join([
            r['config'], r.get('kind', '-'), r.get('architecture', '-'),
            _fmt(r.get('params_m'), '.1f'), _fmt(r.get('trainable_m'), '.2f'),
            _fmt(r.get('build_s'), '.0f'), _fmt(r.get('iter_s'), '.2f'), loss,
            _fmt(r.get('peak_rss_gb'), '.1f'), _fmt(r.get('peak_cuda_gb'), '.1f'),
            str(r.get('rc', 0)) + (f' ({r["error"]})' if r.get('error') else '')]) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        return run_child(args)
    configs = args.configs or paper_configs(REPO)
    missing = [c for c in configs if not osp.isfile(c)]
    if missing:
        raise SystemExit(f'config(s) not found: {missing}')
    work = osp.abspath(args.work_dir)
    suffix = ('-reduced' if args.reduced else '') + ('-stock-head' if args.stock_head else '') \
        + ('-amp' if args.amp else '') + (f'-{args.iters}iters' if args.iters != 1 else '')
    for sub in ('logs', 'rows'):
        os.makedirs(osp.join(work, sub), exist_ok=True)
    rows = []
    print(f'checking {len(configs)} config(s){" (reduced)" if args.reduced else ""}; logs in '
          f'{work}/logs', flush=True)
    for i, config in enumerate(configs, 1):
        name = _name(config) + suffix
        row_path = osp.join(work, 'rows', f'{name}.json')
        rel = osp.relpath(osp.abspath(config), REPO)
        if osp.isfile(row_path) and not args.force:
            with open(row_path) as f:
                rows.append(json.load(f))
            print(f'[{i}/{len(configs)}] {rel}: done before (kept; --force redoes it)',
                  flush=True)
            continue
        cmd = ['--one', osp.abspath(config), '--row', row_path, '--work-dir', work]
        cmd += ['--cache', args.cache] if args.cache else []
        cmd += ['--reduced'] if args.reduced else []
        cmd += ['--amp'] if args.amp else []
        cmd += ['--stock-head'] if args.stock_head else []
        cmd += ['--iters', str(args.iters)]
        log_path = osp.join(work, 'logs', f'{name}.log')
        start = time.time()
        rc = run_one(cmd, log_path, args.timeout)
        took = time.time() - start
        if rc == 0 and osp.isfile(row_path):
            with open(row_path) as f:
                row = json.load(f)
        else:
            with open(log_path) as f:
                tail = [ln.strip() for ln in f if ln.strip()]
            err = next((ln for ln in reversed(tail) if 'Error' in ln or 'error' in ln),
                       tail[-1] if tail else 'no output')
            row = dict(config=rel, rc=rc, error=('timeout' if rc == 124 else err[-160:]))
        rows.append(row)
        print(f'[{i}/{len(configs)}] {rel}: rc {row.get("rc", 0)} in {took:.0f} s'
              + (f' ({row["error"]})' if row.get('error') else ''), flush=True)
    text = table(rows)
    print(text)
    if args.out:
        write_text_atomic(text + '\n', args.out)
    return 0 if all(r.get('rc', 0) == 0 for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
