"""The OVSNet ablation (paper Tables 3 and 4a) on the quickstart, over several seeds.

    python tools/analysis/ovsnet_ablation.py [--seeds 0 1 2 3 4]
        [--rows baseline gfa-per-query ...]
        [--work-dir work_dirs/ovsnet_ablation] [--jobs 2] [--resume]

Each row trains the OVSNet quickstart (``configs/ovsnet/quickstart/...``; the 6 seen classes,
300 iterations) with one model change, once per seed, through ``tools/train.py``, then
evaluates the checkpoint through ``tools/test.py``: over the training vocabulary (6 classes) and
over all 8 classes, 2 of them never trained on (mIoU of the unseen classes and hIoU). It prints
mean +- std over the seeds and writes ``WORK/ablation.json`` and ``WORK/ablation.md``. Every run
logs to ``WORK/<row>/seed<k>/``; ``--resume`` keeps runs whose metrics are already there.

Seed ``k`` is the whole chain: the quickstart world of that seed (``data/quickstart`` for 0,
``data/quickstart-seed<k>`` otherwise, as ``make quickstart-data`` writes them: its own
segmentation data and tiny CLIP pre-trained on it) and training seed ``k``. A world this needs
and does not find is made with the same tools (only its data and tiny ConvNeXt CLIP: what OVSNet
uses).
"""
import argparse
import json
import os
import os.path as osp
import sys
from collections import OrderedDict

from mmopen.utils.io import write_json_atomic
from mmopen.utils.seed_runs import (add_seed_arguments, load_or_run, mean_std, run_over_seeds,
                                    run_tool, write_ablation)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIG = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py'
SEEN_CONFIG = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_eval-seen.py'
NO_PC = ['model.decode_head.loss_proxy=None']
H = 'model.decode_head.'

# row -> (description, --cfg-options); the quickstart config itself is "both"
ROWS = OrderedDict([
    ('baseline', ('Table 3 Baseline: no GFA, no PC', [H + 'fusion=none'] + NO_PC)),
    ('pc', ('Table 3 + PC (Beta(2, 2)), no GFA', [H + 'fusion=none'])),
    ('gfa-per-query', ('+ GFA per query, F_C^inf: normalize(F_C + w z F_Q)',
                       [H + 'gfa_cfg.reading=per_query', H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('gfa-per-query-fq', ('+ GFA per query, F_Q^inf: the blend normalize(F_Q + 0.5 F_C)',
                          [H + 'gfa_cfg.reading=per_query', H + 'gfa_cfg.output=f_q'] + NO_PC)),
    ('gfa-cross-query', ('+ GFA cross query (T = 0.05), F_C^inf',
                         [H + 'gfa_cfg.reading=cross_query', H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('gfa-cross-query-fq', ('+ GFA cross query (T = 0.05), F_Q^inf',
                            [H + 'gfa_cfg.reading=cross_query', H + 'gfa_cfg.output=f_q'] +
                            NO_PC)),
    ('gfa-literal', ('+ GFA literal (lambda = 0.2), F_C^inf',
                     [H + 'gfa_cfg.reading=literal', H + 'gfa_cfg.output=f_c'] + NO_PC)),
    ('cross-attention', ('Table 4a Cross Attn, no PC', [H + 'fusion=cross_attention'] + NO_PC)),
    ('both', ('Table 3 + Both: GFA (the default blend) + PC', [])),
])
METRICS = (('seen', 'mIoU'), ('open', 'mIoU_unseen'), ('open', 'hIoU'), ('open', 'mIoU'))
LABELS = ('mIoU, training vocabulary (6)', 'mIoU, 2 unseen classes (of 8)', 'hIoU',
          'mIoU, all 8')


def run(args, log, threads=None):
    run_tool(args, log, REPO, threads)


def world(seed: int, data: str) -> str:
    """Seed ``seed``'s quickstart world, its data and tiny CLIP made if missing."""
    root = data if seed == 0 else f'{data.rstrip("/")}-seed{seed}'
    clip = osp.join(root, 'tiny_clip_convnext.safetensors')
    if not osp.isfile(osp.join(root, 'manifest.json')) or not osp.isfile(clip):
        log = osp.join(root + '.ovsnet_ablation.log')
        os.makedirs(osp.dirname(log), exist_ok=True)
        # the first two steps of `make quickstart-data` (the data, the tiny ConvNeXt CLIP), as
        # tools/misc/setup_quickstart.py runs them
        from mmopen.utils.tool_main import load_tool
        for _, step, _ in load_tool('tools/misc/setup_quickstart.py').plan(root, seed)[:2]:
            run(step, log)
    return root


def seeded(config: str, root: str, folder: str) -> str:
    """``config`` with its ``data/quickstart`` paths pointed at ``root`` (seed 0: itself)."""
    if root.rstrip('/') == osp.join(REPO, 'data/quickstart'):
        return config
    from mmengine.config import Config
    text = Config.fromfile(osp.join(REPO, config)).pretty_text.replace('data/quickstart', root)
    out = osp.join(folder, osp.basename(config))
    Config.fromstring(text, '.py').dump(out)
    return out


def one_run(row, seed, work, iters, data, threads=None):
    folder = osp.join(work, row, f'seed{seed}')
    result = osp.join(folder, 'metrics.json')
    opts = list(ROWS[row][1]) + [f'randomness.seed={seed}']
    if iters is not None:
        opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                 f'param_scheduler.0.end={iters}']
    os.makedirs(folder, exist_ok=True)
    log = osp.join(folder, 'run.log')
    train_dir = osp.join(folder, 'train')
    root = world(seed, data)
    config, seen_config = (seeded(c, root, folder) for c in (CONFIG, SEEN_CONFIG))
    run(['tools/train.py', config, '--work-dir', train_dir, '--cfg-options'] + opts, log,
        threads)
    out = {}
    for name, config in (('seen', seen_config), ('open', config)):
        path = osp.join(folder, f'{name}.json')
        run(['tools/test.py', config, f'last:{train_dir}', '--work-dir',
             osp.join(folder, name), '--json', path, '--cfg-options'] + opts, log, threads)
        with open(path) as f:
            out[name] = json.load(f)
    write_json_atomic(out, result)
    return out


def table(results, seeds):
    head = ['row', 'what'] + list(LABELS)
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row, per_seed in results.items():
        cells = []
        for kind, key in METRICS:
            cells.append(mean_std((per_seed[s][kind][key] for s in seeds), per_seed=False))
        lines.append(f'| {row} | {ROWS[row][0]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_seed_arguments(p, ROWS, 'work_dirs/ovsnet_ablation', seeds=(0, 1, 2, 3, 4), jobs=1)
    p.add_argument('--iters', type=int, help='training iterations (default: the config\'s 300)')
    args = p.parse_args(argv)
    work = osp.abspath(args.work_dir)
    data = args.data if osp.isabs(args.data) else osp.join(REPO, args.data)
    os.makedirs(work, exist_ok=True)
    for seed in args.seeds:  # the worlds first, one at a time
        world(seed, data)

    def job(row, seed):
        return load_or_run(osp.join(work, row, f'seed{seed}', 'metrics.json'), args.resume,
                           lambda: one_run(row, seed, work, args.iters, data,
                                           1 if args.jobs > 1 else None))

    def describe(row, seed, r):
        return (f'seen mIoU {r["seen"]["mIoU"]:.1f}, unseen mIoU {r["open"]["mIoU_unseen"]:.1f}'
                f', hIoU {r["open"]["hIoU"]:.1f}')

    results = run_over_seeds([(row, seed) for row in args.rows for seed in args.seeds], job,
                             describe, args.jobs)
    write_ablation(work, f'OVSNet ablation on the quickstart, mean ± std over seeds {args.seeds}',
                   table(results, args.seeds), results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
