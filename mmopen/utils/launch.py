"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config preparation, runner."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='the folder for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, "key=value" pairs, e.g. '
        'train_dataloader.batch_size=4 "model.backbone.weights=/path/clip.bin"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument(
        '--trust-checkpoint', action='append', default=[], metavar='PATH',
        help='load this checkpoint file with weights_only=False (it may carry arbitrary '
        'pickled objects; only for files you trust). Repeatable.')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def prepare_config(args: argparse.Namespace) -> Config:
    """Load the config, apply ``--cfg-options``, the launcher and the work dir; register
    mmopen's components and compatibility fixes; trust the checkpoints named by the user."""
    import mmopen  # noqa: F401  (registration + compat)
    from mmopen.compat import trust_checkpoint

    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file {args.config!r} does not exist.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    for path in args.trust_checkpoint:
        trust_checkpoint(path)
    return cfg


def build_runner(cfg: Config):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def finalize_distributed() -> None:
    """Wait for every process, then tear the process group down.

    Without this a process that finishes first exits while the others still hold gloo
    connections to it, and they can die with SIGABRT ("Connection closed by peer") after the
    work is done.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def resolve_checkpoint(spec: str):
    """A checkpoint argument of the tools -> a file (or ``None`` for ``'none'``):
    ``last:WORK_DIR`` is the checkpoint named in ``WORK_DIR/last_checkpoint``, ``best:WORK_DIR``
    the newest ``best_*.pth`` that ``CheckpointHook(save_best=...)`` keeps there. Exits with a
    message naming what is missing."""
    import glob
    if spec == 'none':
        return None
    if spec.startswith('last:'):
        work_dir = spec[len('last:'):]
        marker = osp.join(work_dir, 'last_checkpoint')
        if not osp.isfile(marker):
            raise SystemExit(f'{marker} does not exist: has training in {work_dir} saved a '
                             'checkpoint yet?')
        with open(marker) as f:
            spec = f.read().strip()
    elif spec.startswith('best:'):
        work_dir = spec[len('best:'):]
        found = sorted(glob.glob(osp.join(glob.escape(work_dir), 'best_*.pth')),
                       key=osp.getmtime)
        if not found:
            raise SystemExit(f'No best_*.pth in {work_dir}: does the config\'s CheckpointHook '
                             'set save_best, and has a validation run yet?')
        spec = found[-1]
    if not osp.isfile(spec):
        raise SystemExit(f'Checkpoint {spec!r} does not exist.')
    return spec
