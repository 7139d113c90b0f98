"""The OVSNet ablation (paper Tables 3 and 4a) on the quickstart, over several seeds.

    python tools/analysis/ovsnet_ablation.py [--seeds 0 1 2] [--rows baseline gfa-per-query ...]
        [--work-dir work_dirs/ovsnet_ablation] [--resume]

Each row trains the OVSNet quickstart (``configs/ovsnet/quickstart/...``; the 6 seen classes,
300 iterations) with one model change, once per seed, through ``tools/train.py``, then
evaluates the checkpoint through ``tools/test.py``: over the training vocabulary (6 classes) and
over all 8 classes, 2 of them never trained on (mIoU of the unseen classes and hIoU). It prints
mean +- std over the seeds and writes ``WORK/ablation.json`` and ``WORK/ablation.md``. Every run
logs to ``WORK/<row>/seed<k>/``; ``--resume`` keeps runs whose metrics are already there.
Needs the quickstart data (``make quickstart-data``).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

CONFIG = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py'
SEEN_CONFIG = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_eval-seen.py'
NO_PC = ['model.decode_head.loss_proxy=None']
H = 'model.decode_head.'

# row -> (description, --cfg-options); the quickstart config itself is "both"
ROWS = OrderedDict([
    ('baseline', ('Table 3 Baseline: no GFA, no PC', [H + 'fusion=none'] + NO_PC)),
    ('pc', ('Table 3 + PC (Beta(2, 2)), no GFA', [H + 'fusion=none'])),
    ('gfa-per-query', ('+ GFA per query, F_C^inf', [H + 'gfa_cfg.reading=per_query',
                                                    H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('gfa-per-query-fq', ('+ GFA per query, F_Q^inf', [H + 'gfa_cfg.reading=per_query',
                                                       H + 'gfa_cfg.output=f_q'] + NO_PC)),
    ('gfa-cross-query', ('+ GFA cross query (T = 0.05), F_C^inf',
                         [H + 'gfa_cfg.reading=cross_query', H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('gfa-cross-query-fq', ('+ GFA cross query (T = 0.05), F_Q^inf',
                            [H + 'gfa_cfg.reading=cross_query', H + 'gfa_cfg.output=f_q'] +
                            NO_PC)),
    ('gfa-literal', ('+ GFA literal (lambda = 0.2), F_C^inf',
                     [H + 'gfa_cfg.reading=literal', H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('cross-attention', ('Table 4a Cross Attn, no PC', [H + 'fusion=cross_attention'] + NO_PC)),
    ('both', ('Table 3 + Both: GFA (default reading) + PC', [])),
])
METRICS = (('seen', 'mIoU'), ('open', 'mIoU_unseen'), ('open', 'hIoU'), ('open', 'mIoU'))
LABELS = ('mIoU, training vocabulary (6)', 'mIoU, 2 unseen classes (of 8)', 'hIoU',
          'mIoU, all 8')


def run(args, log):
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(args) + '\n')
        f.flush()
        proc = subprocess.run([sys.executable] + args, cwd=REPO, stdout=f,
                              stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=REPO))
    if proc.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'{tail}\nFailed: {" ".join(args)} (log {log})')


def one_run(row, seed, work, iters):
    folder = osp.join(work, row, f'seed{seed}')
    result = osp.join(folder, 'metrics.json')
    opts = list(ROWS[row][1]) + [f'randomness.seed={seed}']
    if iters is not None:
        opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                 f'param_scheduler.0.end={iters}']
    os.makedirs(folder, exist_ok=True)
    log = osp.join(folder, 'run.log')
    train_dir = osp.join(folder, 'train')
    run(['tools/train.py', CONFIG, '--work-dir', train_dir, '--cfg-options'] + opts, log)
    out = {}
    for name, config in (('seen', SEEN_CONFIG), ('open', CONFIG)):
        path = osp.join(folder, f'{name}.json')
        run(['tools/test.py', config, f'last:{train_dir}', '--work-dir',
             osp.join(folder, name), '--json', path, '--cfg-options'] + opts, log)
        with open(path) as f:
            out[name] = json.load(f)
    from mmopen.utils.io import write_json_atomic
    write_json_atomic(out, result)
    return out


def table(results, seeds):
    head = ['row', 'what'] + list(LABELS)
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row, per_seed in results.items():
        cells = []
        for kind, key in METRICS:
            vals = np.array([per_seed[s][kind][key] for s in seeds], dtype=float)
            cells.append(f'{vals.mean():.1f} ± {vals.std(ddof=1) if len(vals) > 1 else 0:.1f}')
        lines.append(f'| {row} | {ROWS[row][0]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--rows', nargs='+', choices=list(ROWS), default=list(ROWS))
    p.add_argument('--iters', type=int, help='training iterations (default: the config\'s 300)')
    p.add_argument('--work-dir', default='work_dirs/ovsnet_ablation')
    p.add_argument('--resume', action='store_true', help='keep runs that already have metrics')
    args = p.parse_args(argv)
    from mmopen.utils.io import write_json_atomic, write_text_atomic
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    results = OrderedDict()
    total = len(args.rows) * len(args.seeds)
    done = 0
    start = time.time()
    for row in args.rows:
        results[row] = {}
        for seed in args.seeds:
            done += 1
            path = osp.join(work, row, f'seed{seed}', 'metrics.json')
            if args.resume and osp.isfile(path):
                with open(path) as f:
                    results[row][seed] = json.load(f)
                print(f'[{done}/{total}] {row} seed {seed}: kept (--resume)')
                continue
            t = time.time()
            results[row][seed] = one_run(row, seed, work, args.iters)
            r = results[row][seed]
            print(f'[{done}/{total}] {row} seed {seed}: seen mIoU {r["seen"]["mIoU"]:.1f}, '
                  f'unseen mIoU {r["open"]["mIoU_unseen"]:.1f}, hIoU {r["open"]["hIoU"]:.1f} '
                  f'({time.time() - t:.0f} s; {(time.time() - start) / 60:.1f} min so far)',
                  flush=True)
    text = (f'OVSNet ablation on the quickstart, mean ± std over seeds {args.seeds}\n\n'
            + table(results, args.seeds) + '\n')
    write_text_atomic(text, osp.join(work, 'ablation.md'))
    write_json_atomic({row: {str(s): v for s, v in r.items()} for row, r in results.items()},
                      osp.join(work, 'ablation.json'))
    print('\n' + text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
