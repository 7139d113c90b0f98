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
import sys
from collections import OrderedDict

import numpy as np

from mmopen.utils.io import write_json_atomic
from mmopen.utils.seed_runs import (add_seed_arguments, cfg_options, load_or_run, mean_std,
                                    run_over_seeds, run_tool, write_ablation)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

G = 'synood.guidance.'
ROWS = OrderedDict([
    ('energy', ('eq. (7) as printed (the quickstart)', [])),
    ('squared', ('the released squared loss, m_out = -5', [G + 'loss=squared'])),
    ('unguided', ('no guidance (plain inpainting)', [G + 'outer_iters=0'])),
])
KEY = 'NegLabel/average/hendrycks/'


def run(args, log):
    run_tool(args, log, REPO, threads=1)


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
    run(['tools/synood/generate.py', gen, '--out', syn, '--no-progress'] + cfg_options(opts), log)
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
    write_json_atomic(out, osp.join(folder, 'result.json'))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_seed_arguments(p, ROWS, 'work_dirs/synood_ablation')
    args = p.parse_args(argv)
    from mmopen.utils.tool_main import load_tool
    tour = load_tool(osp.join(REPO, 'tools', 'misc', 'quickstart_tour.py'))  # worlds, configs
    work = osp.abspath(args.work_dir)
    data = args.data if osp.isabs(args.data) else osp.join(REPO, args.data)
    for seed in args.seeds:
        if not osp.isfile(osp.join(tour.world_root(data, seed), 'tiny_inpaint',
                                   'model_index.json')):
            raise SystemExit(f'No quickstart world for seed {seed}: run `make quickstart-data '
                             f'QS_SEEDS="{" ".join(map(str, args.seeds))}"` first.')

    def job(row, seed):
        return load_or_run(osp.join(work, row, f'seed{seed}', 'result.json'), args.resume,
                           lambda: one_run(tour, row, seed, work, data))

    def describe(row, seed, r):
        return (f'NegLabel AUROC untuned {r["untuned"][KEY + "AUROC"]:.1f}, tuned '
                f'{r["tuned"][KEY + "AUROC"]:.1f}; loss {r["loss"][0]:.2f} -> {r["loss"][1]:.2f}')

    results = run_over_seeds([(row, s) for row in args.rows for s in args.seeds], job, describe,
                             args.jobs)
    head = ['row', 'guidance', 'loss before -> after', 'AUROC untuned', 'AUROC tuned',
            'FPR@95 untuned', 'FPR@95 tuned', 'tuned beats untuned']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in args.rows:
        r = [results[row][s] for s in args.seeds]
        cells = [mean_std([x['loss'][0] for x in r], 2) + ' -> '
                 + mean_std([x['loss'][1] for x in r], 2)]
        for m in ('AUROC', 'FPR95'):
            cells += [mean_std([x[k][KEY + m] for x in r]) for k in ('untuned', 'tuned')]
        auroc = sum(x['tuned'][KEY + 'AUROC'] > x['untuned'][KEY + 'AUROC'] for x in r)
        fpr = sum(x['tuned'][KEY + 'FPR95'] < x['untuned'][KEY + 'FPR95'] for x in r)
        cells.append(f'AUROC {auroc}/{len(r)}, FPR@95 {fpr}/{len(r)}')
        lines.append(f'| {row} | {ROWS[row][0]} | ' + ' | '.join(cells) + ' |')
    write_ablation(work, 'SynOOD on the quickstart: NegLabel (hendrycks, mean of 2 OOD sets) '
                   'with the stage-2 features against the same negatives untuned, mean ± std '
                   f'over seeds {args.seeds} (each seed\'s value in brackets)', '\n'.join(lines),
                   results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
