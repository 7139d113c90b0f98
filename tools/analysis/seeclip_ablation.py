"""SeeCLIP's pseudo-unknowns on the quickstart, over seeds: which generator settings teach the
held-out style what "unknown" is.

    python tools/analysis/seeclip_ablation.py [--seeds 0 1 2] [--rows ...] [--jobs 2]
        [--work-dir work_dirs/seeclip_ablation] [--data data/quickstart] [--resume]

Per seed (the whole chain: the seed's quickstart world, as ``make quickstart-data`` writes it,
and the seed for training and generation, through the tour's seeded configs), one run without
pseudo-unknowns (the ablation, whose semantic tokens guide the generation), then per row:
pseudo-unknowns generated with that row's settings, SeeCLIP trained with them and tested on the
held-out cartoon style (the checkpoint of the best source H-score). Rows:

* ``released``: the released code's generator settings: prompt "A {domain} image of an unknown
  class", guidance 15, strength 0.6, with the token guidance;
* ``unguided``: the quickstart's settings ("A {domain} image of a shape", guidance 7.5, strength
  0.8) without the token guidance (``outer_iters=0``);
* ``guided``: the quickstart's settings as configured (3 token-guidance updates).

It prints H-score / known / unknown accuracy / AUROC as mean +- std over the seeds, the seeds'
values, and per row in how many seeds it beats the ablation; ``WORK/ablation.md`` and
``WORK/ablation.json`` keep them. Every run logs to ``WORK/<row>/seed<k>/run.log``.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

G = 'pseudo_unknown_generation.'
ROWS = OrderedDict([
    ('released', ('the released prompt, guidance 15, strength 0.6, token guidance',
                  [G + 'prompt=A {domain} image of an unknown class',
                   G + 'guidance.guidance_scale=15.0', G + 'guidance.strength=0.6'])),
    ('unguided', ('"a shape", guidance 7.5, strength 0.8, no token guidance',
                  [G + 'guidance.outer_iters=0'])),
    ('guided', ('"a shape", guidance 7.5, strength 0.8, token guidance (the quickstart)', [])),
])
METRICS = ('hscore', 'known_acc', 'unknown_acc', 'AUROC')


def run(args, log):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(args) + '\n')
        f.flush()
        proc = subprocess.run([sys.executable] + args, cwd=REPO, stdout=f,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'Failed: {" ".join(args)} (log {log})')


def test(config, ckpt, folder, log, name):
    out = osp.join(folder, f'{name}.json')
    run(['tools/test.py', config, ckpt, '--work-dir', osp.join(folder, name), '--json', out],
        log)
    with open(out) as f:
        return json.load(f)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--rows', nargs='+', choices=list(ROWS), default=list(ROWS))
    p.add_argument('--work-dir', default='work_dirs/seeclip_ablation')
    p.add_argument('--data', default='data/quickstart',
                   help='seed 0\'s quickstart world (seed k: DATA-seed<k>)')
    p.add_argument('--jobs', type=int, default=2, help='runs at once, one thread each')
    p.add_argument('--resume', action='store_true', help='keep runs that already have metrics')
    args = p.parse_args(argv)
    from mmopen.utils.io import write_json_atomic, write_text_atomic
    sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
    import quickstart_tour as tour  # the tour's worlds and seeded configs
    work = osp.abspath(args.work_dir)
    data = args.data if osp.isabs(args.data) else osp.join(REPO, args.data)
    for seed in args.seeds:
        if not osp.isfile(osp.join(tour.world_root(data, seed), 'osdg', 'manifest.json')):
            raise SystemExit(f'No quickstart world for seed {seed}: run `make quickstart-data '
                             f'QS_SEEDS="{" ".join(map(str, args.seeds))}"` first.')
    lock = threading.Lock()
    start = time.time()
    results = {row: {} for row in ['ablation'] + args.rows}

    def configs(seed):
        folder = osp.join(work, f'seed{seed}')
        root = tour.world_root(data, seed)
        return folder, [tour.seeded_config(c, seed, root, osp.join(folder, 'configs', name))
                        for c, name in ((tour.SEE_OFF, 'off.py'), (tour.SEE_ON, 'on.py'))]

    def say(row, seed, r, t):
        with lock:
            results[row][seed] = r
            print(f'{row} seed {seed}: ' + ', '.join(f'{m} {r[f"osdg/{m}"]:.1f}'
                                                     for m in METRICS)
                  + f' ({time.time() - t:.0f} s; {(time.time() - start) / 60:.1f} min so far)',
                  flush=True)

    def ablation(seed):
        folder, (off, _) = configs(seed)
        path = osp.join(folder, 'ablation.json')
        t = time.time()
        if not (args.resume and osp.isfile(path)):
            log = osp.join(folder, 'run.log')
            run(['tools/train.py', off, '--work-dir', osp.join(folder, 'off')], log)
            test(off, f'best:{osp.join(folder, "off")}', folder, log, 'ablation')
        with open(path) as f:
            say('ablation', seed, json.load(f), t)

    def variant(pair):
        row, seed = pair
        base, (_, on) = configs(seed)
        folder = osp.join(work, row, f'seed{seed}')
        path = osp.join(folder, 'result.json')
        t = time.time()
        if not (args.resume and osp.isfile(path)):
            os.makedirs(folder, exist_ok=True)
            log = osp.join(folder, 'run.log')
            pseudo = osp.join(folder, 'pseudo_unknowns')
            shutil.rmtree(pseudo, ignore_errors=True)
            opts = list(ROWS[row][1])
            run(['tools/seeclip/generate_pseudo_unknowns.py', on, '--checkpoint',
                 f'best:{osp.join(base, "off")}', '--out', pseudo, '--no-progress']
                + (['--cfg-options'] + opts if opts else []), log)
            data_opts = [f'{k}.dataset.pseudo_unknowns={pseudo}'
                         for k in ('train_dataloader', 'val_dataloader')]
            run(['tools/train.py', on, '--work-dir', osp.join(folder, 'on'), '--cfg-options']
                + data_opts, log)
            test(on, f'best_osdg_hscore:{osp.join(folder, "on")}', folder, log, 'result')
        with open(path) as f:
            say(row, seed, json.load(f), t)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(ablation, args.seeds))
        list(pool.map(variant, [(row, s) for row in args.rows for s in args.seeds]))

    head = ['row', 'what'] + [m.replace('_', ' ') for m in METRICS] + ['beats the ablation']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in ['ablation'] + args.rows:
        cells = []
        for m in METRICS:
            v = np.array([results[row][s][f'osdg/{m}'] for s in args.seeds])
            cells.append(f'{v.mean():.1f} ± {v.std(ddof=1) if len(v) > 1 else 0:.1f} '
                         f'({" / ".join(f"{x:.1f}" for x in v)})')
        if row == 'ablation':
            beats = '-'
        else:
            wins = [sum(results[row][s][f'osdg/{m}'] > results['ablation'][s][f'osdg/{m}']
                        for s in args.seeds) for m in ('hscore', 'AUROC')]
            beats = f'H-score {wins[0]}/{len(args.seeds)}, AUROC {wins[1]}/{len(args.seeds)}'
        what = 'no pseudo-unknowns' if row == 'ablation' else ROWS[row][0]
        lines.append(f'| {row} | {what} | ' + ' | '.join(cells) + f' | {beats} |')
    text = (f'SeeCLIP pseudo-unknowns on the quickstart (held-out cartoon style), mean ± std '
            f'over seeds {args.seeds} (each seed\'s value in brackets)\n\n' + '\n'.join(lines)
            + '\n')
    write_text_atomic(text, osp.join(work, 'ablation.md'))
    write_json_atomic({row: {str(s): v for s, v in r.items()} for row, r in results.items()},
                      osp.join(work, 'ablation.json'))
    print('\n' + text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
