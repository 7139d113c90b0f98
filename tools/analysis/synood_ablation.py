"""SynOOD on the quickstart, over seeds: the guidance loss (eq. 7 as printed, the released squared
loss, none) against NegLabel with the same negatives untuned (SynOOD's ablation).

    python tools/analysis/synood_ablation.py [--seeds 0 1 2] [--rows ...] [--jobs 2]
        [--work-dir work_dirs/synood_ablation] [--data data/quickstart] [--resume]

Per seed (the whole chain: the seed's quickstart world, as ``make quickstart-data`` writes it,
and the seed for generation and training, through the tour's seeded configs) and row: 40 SynOOD
images generated with that row's guidance, stage 2 (the mined negatives' features) trained on
them, NegLabel evaluated with the tuned features; the untuned evaluation is the ablation. Rows:

* ``energy``: eq. (7) as printed, ``m_out - logsumexp(g)`` (the quickstart's setting);
* ``squared``: the released loop's ``(m_out - (mean(g) - logsumexp(g)))^2``, same step;
* ``unguided``: no guidance (``outer_iters=0``): plain inpainting from the context prompt.

It prints NegLabel's AUROC / FPR@95 (hendrycks, mean of the 2 OOD sets) and the guidance loss
before and after as mean +- std over the seeds with the seeds' values, and per row in how many
seeds the tuned features beat the untuned ones; ``WORK/ablation.md`` and ``WORK/ablation.json``
keep them. Every run logs to ``WORK/<row>/seed<k>/run.log``.
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

G = 'synood.guidance.'
ROWS = OrderedDict([
    ('energy', ('eq. (7) as printed (the quickstart)', [])),
    ('squared', ('the released squared loss, m_out = -5', [G + 'loss=squared'])),
    ('unguided', ('no guidance (plain inpainting)', [G + 'outer_iters=0'])),
])
KEY = 'NegLabel/average/hendrycks/'


def run(args, log):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(args) + '\n')
        f.flush()
        proc = subprocess.run([sys.executable] + args, cwd=REPO, stdout=f,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'Failed: {" ".join(args)} (log {log})')


def one_run(tour, row, seed, work, data):
    folder = osp.join(work, row, f'seed{seed}')
    os.makedirs(folder, exist_ok=True)
    log = osp.join(folder, 'run.log')
    root = tour.world_root(data, seed)
    syn = osp.join(folder, 'synood')
    gen, s2 = (tour.seeded_config(c, seed, root, osp.join(folder, osp.basename(c)))
               for c in (tour.SYN_GEN, tour.SYN_S2))
    shutil.rmtree(syn, ignore_errors=True)
    opts = list(ROWS[row][1])
    run(['tools/synood/generate.py', gen, '--out', syn, '--no-progress']
        + (['--cfg-options'] + opts if opts else []), log)
    manifest = osp.join(syn, 'manifest.json')
    opts = ['--cfg-options', f'model.mined_from={manifest}',
            f'train_dataloader.dataset.manifest={manifest}']
    run(['tools/train.py', s2, '--work-dir', osp.join(folder, 's2')] + opts, log)
    out = {}
    for name, ckpt in (('untuned', 'none'), ('tuned', f'last:{osp.join(folder, "s2")}')):
        path = osp.join(folder, f'{name}.json')
        run(['tools/test.py', s2, ckpt, '--work-dir', osp.join(folder, name), '--json', path]
            + opts, log)
        with open(path) as f:
            out[name] = json.load(f)
    with open(manifest) as f:
        records = json.load(f)['records']
    out['loss'] = [float(np.mean([r['losses'][0] for r in records])),
                   float(np.mean([r['losses'][-1] for r in records]))]
    from mmopen.utils.io import write_json_atomic
    write_json_atomic(out, osp.join(folder, 'result.json'))
    return out


def _cell(values, decimals=1):
    v = np.asarray(values, dtype=float)
    return (f'{v.mean():.{decimals}f} ± {v.std(ddof=1) if len(v) > 1 else 0:.{decimals}f} '
            f'({" / ".join(f"{x:.{decimals}f}" for x in v)})')


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--rows', nargs='+', choices=list(ROWS), default=list(ROWS))
    p.add_argument('--work-dir', default='work_dirs/synood_ablation')
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
        if not osp.isfile(osp.join(tour.world_root(data, seed), 'tiny_inpaint',
                                   'model_index.json')):
            raise SystemExit(f'No quickstart world for seed {seed}: run `make quickstart-data '
                             f'QS_SEEDS="{" ".join(map(str, args.seeds))}"` first.')
    results = {row: {} for row in args.rows}
    lock = threading.Lock()
    start = time.time()

    def job(pair):
        row, seed = pair
        path = osp.join(work, row, f'seed{seed}', 'result.json')
        t = time.time()
        if args.resume and osp.isfile(path):
            with open(path) as f:
                r = json.load(f)
        else:
            r = one_run(tour, row, seed, work, data)
        with lock:
            results[row][seed] = r
            print(f'{row} seed {seed}: NegLabel AUROC untuned {r["untuned"][KEY + "AUROC"]:.1f}'
                  f', tuned {r["tuned"][KEY + "AUROC"]:.1f}; loss {r["loss"][0]:.2f} -> '
                  f'{r["loss"][1]:.2f} ({time.time() - t:.0f} s; '
                  f'{(time.time() - start) / 60:.1f} min so far)', flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(job, [(row, s) for row in args.rows for s in args.seeds]))

    head = ['row', 'guidance', 'loss before -> after', 'AUROC untuned', 'AUROC tuned',
            'FPR@95 untuned', 'FPR@95 tuned', 'tuned beats untuned']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in args.rows:
        r = [results[row][s] for s in args.seeds]
        cells = [_cell([x['loss'][0] for x in r], 2) + ' -> ' + _cell([x['loss'][1] for x in r], 2)]
        for m in ('AUROC', 'FPR95'):
            cells += [_cell([x[k][KEY + m] for x in r]) for k in ('untuned', 'tuned')]
        auroc = sum(x['tuned'][KEY + 'AUROC'] > x['untuned'][KEY + 'AUROC'] for x in r)
        fpr = sum(x['tuned'][KEY + 'FPR95'] < x['untuned'][KEY + 'FPR95'] for x in r)
        cells.append(f'AUROC {auroc}/{len(r)}, FPR@95 {fpr}/{len(r)}')
        lines.append(f'| {row} | {ROWS[row][0]} | ' + ' | '.join(cells) + ' |')
    text = (f'SynOOD on the quickstart: NegLabel (hendrycks, mean of 2 OOD sets) with the stage-2 '
            f'features against the same negatives untuned, mean ± std over seeds {args.seeds} '
            '(each seed\'s value in brackets)\n\n' + '\n'.join(lines) + '\n')
    write_text_atomic(text, osp.join(work, 'ablation.md'))
    write_json_atomic({row: {str(s): v for s, v in r.items()} for row, r in results.items()},
                      osp.join(work, 'ablation.json'))
    print('\n' + text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
