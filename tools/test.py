"""Evaluate a checkpoint with an mmopen (or any mmseg / mmpretrain) config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
                                           [--cfg-options k=v ...] [--launcher ...]

CHECKPOINT may be ``last:WORK_DIR`` (the checkpoint named in ``WORK_DIR/last_checkpoint``),
``best:WORK_DIR`` (the ``best_*.pth`` that ``CheckpointHook(save_best=...)`` keeps there),
``best_<KEY>:WORK_DIR`` (the best for one of several keys, named as in the file:
``best_osdg_hscore:WORK_DIR``) or ``none`` for models whose weights all come from their own
files (zero-shot CLIP models).
The metrics are logged and printed as a table; ``--json FILE`` also writes them as JSON.

OOD detection results (``OODMetric``) for leaderboards: ``--csv FILE`` / ``--markdown FILE``
write one row per (score, OOD set, convention) with the model, the config and the git commit;
``--save-scores DIR`` writes every sample's scores, which ``tools/ood/eval_scores.py DIR`` turns
back into the same metrics, bit for bit.
"""
import argparse
import os.path as osp

from mmopen.ood import split_key
from mmopen.ood.leaderboard import git_commit, leaderboard_rows, set_kinds, write_leaderboard
from mmopen.utils import (add_common_args, build_runner, finalize_distributed, prepare_config,
                          resolve_checkpoint)
from mmopen.utils.io import check_writable_file, check_writable_folder, write_json_atomic


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint (mmopen)')
    add_common_args(parser)
    parser.add_argument('checkpoint',
                        help='checkpoint file, last:WORK_DIR, best:WORK_DIR, '
                        'best_<KEY>:WORK_DIR, or none')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--json', help='write the metrics to this JSON file')
    parser.add_argument('--csv', help='OOD results: one row per (score, OOD set, convention)')
    parser.add_argument('--markdown', help='OOD results as Markdown tables')
    parser.add_argument('--partial-load', action='store_true',
                        help='load a checkpoint whose keys do not all fit the model (refused '
                        'otherwise), logging what does not fit')
    parser.add_argument('--save-scores', metavar='DIR',
                        help='OOD: save every sample\'s scores here (re-read by '
                        'tools/ood/eval_scores.py DIR)')
    return parser.parse_args(argv)


def model_name(cfg) -> str:
    """``Type(clip model)`` of the config's model, e.g. ``CLIPOODClassifier(ViT-B-16)``."""
    model = cfg.get('model', {}) or {}
    clip = model.get('clip') if isinstance(model.get('clip'), dict) else None
    name = str(model.get('type', 'model'))
    return f'{name}({clip["model_name"]})' if clip and clip.get('model_name') else name


def ood_metrics_of(cfg) -> list:
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
        cfg.test_evaluator]
    found = [e for e in evaluators if isinstance(e, dict) and e.get('type') == 'OODMetric']
    if not found:
        raise SystemExit('--csv / --markdown / --save-scores need an OODMetric in '
                         f'test_evaluator; this config has {evaluators}.')
    return found


def plain_value(v):
    """numpy / torch scalars -> Python numbers, anything else -> its string."""
    if hasattr(v, 'item') and getattr(v, 'size', 1) == 1:
        v = v.item()
    return v if isinstance(v, (int, float, str)) else str(v)


def print_table(metrics: dict) -> None:
    width = max([len(k) for k in metrics] + [6])
    print('\n' + '-' * (width + 14))
    print(f'{"metric":<{width}}  {"value":>10}')
    for k, v in metrics.items():
        value = f'{v:>10.4f}' if isinstance(v, float) else f'{str(v):>10}'
        print(f'{k:<{width}}  {value}')
    print('-' * (width + 14))


def main(argv=None):
    args = parse_args(argv)
    # outputs that cannot be written are refused now, not after the evaluation
    for flag in ('json', 'csv', 'markdown', 'out'):
        check_writable_file(getattr(args, flag, None), f'--{flag}')
    check_writable_folder(args.save_scores, '--save-scores')
    if args.save_scores:
        from mmopen.ood.score_files import check_score_folder
        try:
            check_score_folder(args.save_scores)
        except FileExistsError as e:
            raise SystemExit(f'--save-scores: {e}') from None
    cfg = prepare_config(args)
    cfg.load_from = resolve_checkpoint(args.checkpoint)
    cfg.resume = False
    info = {}
    if args.csv or args.markdown or args.save_scores:
        info = dict(model=model_name(cfg), config=osp.relpath(osp.abspath(args.config)),
                    commit=git_commit())
        for metric in ood_metrics_of(cfg):
            metric['run_info'] = info
            if args.save_scores:
                metric['save_scores'] = args.save_scores
    if args.out is not None:
        cfg.test_evaluator = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    if cfg.load_from:  # checked on the checkpoint the runner reads, before the weights load
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='CheckpointFitHook', path=cfg.load_from, partial=args.partial_load)]
    runner = build_runner(cfg)
    metrics = {k: plain_value(v) for k, v in runner.test().items()}

    from mmengine.dist import is_main_process

    if is_main_process():
        # OOD tables were logged by OODMetric itself; the other metrics as one table here
        plain = {k: v for k, v in metrics.items() if split_key(k) is None}
        if plain:
            print_table(plain)
        if args.json:
            write_json_atomic(metrics, args.json)
        if args.csv or args.markdown:
            meta = runner.test_dataloader.dataset.metainfo
            groups = ood_metrics_of(cfg)[0].get('groups') or meta.get('ood_groups')
            rows = leaderboard_rows(metrics, kinds=set_kinds(meta.get('ood_sets', ()), groups),
                                    **info)
            write_leaderboard(rows, args.csv, args.markdown)
    finalize_distributed()


if __name__ == '__main__':
    main()
