"""Train a model from an mmopen (or any mmseg / mmpretrain) config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]] [--amp] [--auto-scale-lr]
                                 [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os.path as osp

from mmopen.utils import add_common_args, build_runner, finalize_distributed, prepare_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model (mmopen)')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume training: without a value (or "auto") from the latest checkpoint in the '
        'work dir, or from the checkpoint PATH given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (needs a CUDA device)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate linearly from the config\'s '
                        'auto_scale_lr.base_batch_size to this run\'s total batch (GPUs x '
                        'batch_size); without it the config\'s rate is used as is')
    return parser.parse_args(argv)


def enable_auto_scale_lr(cfg) -> None:
    """``--auto-scale-lr``: turn on MMEngine's linear scaling, which needs the batch the
    config's rate is for."""
    scale = cfg.get('auto_scale_lr') or {}
    if 'base_batch_size' not in scale:
        raise SystemExit('--auto-scale-lr: the config has no auto_scale_lr.base_batch_size '
                         '(the total batch its learning rate is for); add e.g. '
                         'auto_scale_lr = dict(enable=False, base_batch_size=16) to it.')
    cfg.auto_scale_lr = dict(scale, enable=True)


def main(argv=None):
    args = parse_args(argv)
    cfg = prepare_config(args)

    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA device (MMEngine\'s AmpOptimWrapper does not '
                             'run on CPU); drop --amp on this machine.')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in your config.')
        elif optim_wrapper != 'OptimWrapper':
            raise SystemExit(f'--amp only works with OptimWrapper, but the config uses '
                             f'{optim_wrapper}.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(f'--resume {args.resume}: no such checkpoint file.')
        cfg.resume = True
        cfg.load_from = args.resume

    if cfg.get('resume'):  # resuming another model's checkpoint is refused when it is read
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(
            type='CheckpointFitHook',
            path=cfg.load_from or f'the last checkpoint in {cfg.work_dir}')]
    runner = build_runner(cfg)
    runner.train()
    finalize_distributed()


if __name__ == '__main__':
    main()
