"""Evaluate a checkpoint with an mmopen (or any mmseg / mmpretrain) config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
                                           [--cfg-options k=v ...] [--launcher ...]

CHECKPOINT may be ``last:WORK_DIR`` (the checkpoint named in ``WORK_DIR/last_checkpoint``),
``best:WORK_DIR`` (the ``best_*.pth`` that ``CheckpointHook(save_best=...)`` keeps there) or
``none`` for models whose weights all come from their own files (zero-shot CLIP models).
The metrics are logged and printed as a table; ``--json FILE`` also writes them as JSON.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmopen.utils import (add_common_args, build_runner, finalize_distributed,  # noqa: E402
                          prepare_config, resolve_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint (mmopen)')
    add_common_args(parser)
    parser.add_argument('checkpoint',
                        help='checkpoint file, last:WORK_DIR, best:WORK_DIR, or none')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--json', help='write the metrics to this JSON file')
    return parser.parse_args(argv)


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
    cfg = prepare_config(args)
    cfg.load_from = resolve_checkpoint(args.checkpoint)
    cfg.resume = False
    if args.out is not None:
        cfg.test_evaluator = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    runner = build_runner(cfg)
    metrics = {k: plain_value(v) for k, v in runner.test().items()}

    from mmengine.dist import is_main_process

    from mmopen.ood import split_key
    if is_main_process():
        # OOD tables were logged by OODMetric itself; the other metrics as one table here
        plain = {k: v for k, v in metrics.items() if split_key(k) is None}
        if plain:
            print_table(plain)
        if args.json:
            from mmopen.utils.io import write_json_atomic
            write_json_atomic(metrics, args.json)
    finalize_distributed()


if __name__ == '__main__':
    main()
