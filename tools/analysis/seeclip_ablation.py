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
import sys
from collections import OrderedDict

from mmopen.utils.seed_runs import (add_seed_arguments, cfg_options, load_or_run, mean_std,
                                    run_over_seeds, run_tool, write_ablation)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

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
    run_tool(args, log, REPO, threads=1)


def test(config, ckpt, folder, log, name):
    out = osp.join(folder, f'{name}.json')
    run(['tools/test.py', config, ckpt, '--work-dir', osp.join(folder, name), '--json', out],
        log)
    with open(out) as f:
        return json.load(f)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_seed_arguments(p, ROWS, 'work_dirs/seeclip_ablation')
    args = p.parse_args(argv)
    from mmopen.utils.tool_main import load_tool
    tour = load_tool(osp.join(REPO, 'tools', 'misc', 'quickstart_tour.py'))  # worlds, configs
    work = osp.abspath(args.work_dir)
    data = args.data if osp.isabs(args.data) else osp.join(REPO, args.data)
    for seed in args.seeds:
        if not osp.isfile(osp.join(tour.world_root(data, seed), 'osdg', 'manifest.json')):
            raise SystemExit(f'No quickstart world for seed {seed}: run `make quickstart-data '
                             f'QS_SEEDS="{" ".join(map(str, args.seeds))}"` first.')
    def configs(seed):
        folder = osp.join(work, f'seed{seed}')
        root = tour.world_root(data, seed)
        return folder, [tour.seeded_config(c, seed, root, osp.join(folder, 'configs', name))
                        for c, name in ((tour.SEE_OFF, 'off.py'), (tour.SEE_ON, 'on.py'))]

    def describe(row, seed, r):
        return ', '.join(f'{m} {r[f"osdg/{m}"]:.1f}' for m in METRICS)

    def ablation(seed):
        folder, (off, _) = configs(seed)

        def make():
            log = osp.join(folder, 'run.log')
            run(['tools/train.py', off, '--work-dir', osp.join(folder, 'off')], log)
            return test(off, f'best:{osp.join(folder, "off")}', folder, log, 'ablation')
        return load_or_run(osp.join(folder, 'ablation.json'), args.resume, make)

    def variant(row, seed):
        base, (_, on) = configs(seed)
        folder = osp.join(work, row, f'seed{seed}')

        def make():
            os.makedirs(folder, exist_ok=True)
            log = osp.join(folder, 'run.log')
            pseudo = osp.join(folder, 'pseudo_unknowns')
            shutil.rmtree(pseudo, ignore_errors=True)
            run(['tools/seeclip/generate_pseudo_unknowns.py', on, '--checkpoint',
                 f'best:{osp.join(base, "off")}', '--out', pseudo, '--no-progress']
                + cfg_options(ROWS[row][1]), log)
            data_opts = [f'{k}.dataset.pseudo_unknowns={pseudo}'
                         for k in ('train_dataloader', 'val_dataloader')]
            run(['tools/train.py', on, '--work-dir', osp.join(folder, 'on')]
                + cfg_options(data_opts), log)
            return test(on, f'best_osdg_hscore:{osp.join(folder, "on")}', folder, log, 'result')
        return load_or_run(osp.join(folder, 'result.json'), args.resume, make)

    results = run_over_seeds([('ablation', s) for s in args.seeds],
                             lambda row, seed: ablation(seed), describe, args.jobs)
    results.update(run_over_seeds([(row, s) for row in args.rows for s in args.seeds],
                                  variant, describe, args.jobs))
    head = ['row', 'what'] + [m.replace('_', ' ') for m in METRICS] + ['beats the ablation']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in ['ablation'] + args.rows:
        cells = [mean_std(results[row][s][f'osdg/{m}'] for s in args.seeds) for m in METRICS]
        if row == 'ablation':
            beats = '-'
        else:
            wins = [sum(results[row][s][f'osdg/{m}'] > results['ablation'][s][f'osdg/{m}']
                        for s in args.seeds) for m in ('hscore', 'AUROC')]
            beats = f'H-score {wins[0]}/{len(args.seeds)}, AUROC {wins[1]}/{len(args.seeds)}'
        what = 'no pseudo-unknowns' if row == 'ablation' else ROWS[row][0]
        lines.append(f'| {row} | {what} | ' + ' | '.join(cells) + f' | {beats} |')
    write_ablation(work, 'SeeCLIP pseudo-unknowns on the quickstart (held-out cartoon style), '
                   f'mean ± std over seeds {args.seeds} (each seed\'s value in brackets)',
                   '\n'.join(lines), results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
