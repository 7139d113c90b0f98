"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config preparation, runner."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from mmopen.compat import trust_checkpoint
from .progress import disable_progress


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
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bars (text embeddings of large vocabularies; there '
                        'are none when stderr is not a terminal)')
    parser.add_argument('--no-file-check', action='store_true',
                        help='do not check the data sets\' image and annotation files (empty, '
                        'unreadable, tiny, mis-sized) before the loops start')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def prepare_config(args: argparse.Namespace) -> Config:
    """Load the config, apply ``--cfg-options``, the launcher and the work dir; register
    mmopen's components and compatibility fixes; trust the checkpoints named by the user."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    disable_progress(getattr(args, 'no_progress', False))
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file {args.config!r} does not exist.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        if osp.exists(args.work_dir) and not osp.isdir(args.work_dir):
            raise SystemExit(f'--work-dir {args.work_dir}: is a file, not a folder; give a '
                             'folder for logs and checkpoints.')
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    for path in args.trust_checkpoint:
        trust_checkpoint(path)
    if not getattr(args, 'no_file_check', False):  # broken files named before the loops start
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='ImageFileCheckHook')]
    return cfg


def unique_experiment_name(cfg: Config):
    """``None`` (MMEngine's own experiment name, ``<config name>_<timestamp>``) unless a runner
    of this process already took that name, else ``<config name>_<n>`` (MMEngine appends the
    timestamp).

    The name keys the runner's logger, message hub, visualizer and default scope, which are
    process-wide instances: a second runner of the same config started within the same second
    (two tools called in one process, as the quickstart tour does) would otherwise get the
    first one's (its log lines in the first run's file, its iteration counter)."""
    import time

    from mmengine.logging import MMLogger
    stem = osp.splitext(osp.basename(cfg.filename or 'config'))[0]
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    if not MMLogger.check_instance_created(f'{stem}_{stamp}'):
        return None
    n = 2
    while MMLogger.check_instance_created(f'{stem}_{n}_{stamp}'):
        n += 1
    return f'{stem}_{n}'


def build_runner(cfg: Config):
    """The config's runner (``runner_type``, else :class:`mmopen.engine.MMOpenRunner`), under a
    name no other runner of this process has."""
    from mmengine.registry import RUNNERS

    from mmopen.engine import MMOpenRunner
    if cfg.get('experiment_name') is None:
        cfg.experiment_name = unique_experiment_name(cfg)
    if 'runner_type' not in cfg:
        return MMOpenRunner.from_cfg(cfg)
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

    * ``last:WORK_DIR``: the checkpoint named in ``WORK_DIR/last_checkpoint``;
    * ``best:WORK_DIR``: the ``best_*.pth`` that ``CheckpointHook(save_best=KEY)`` keeps there
      (with several keys, e.g. ``save_best=['osdg/hscore', 'osdg/known_acc']``, name one);
    * ``best_<KEY>:WORK_DIR``: the best checkpoint for ``KEY``, written as in the file name
      (``/`` as ``_``: ``best_osdg_hscore:WORK_DIR``);
    * anything else: a file.

    Exits with a message naming what is missing."""
    import glob
    import re
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
    elif re.match(r'best(_[\w]+)?:', spec):
        prefix, work_dir = spec.split(':', 1)
        found = glob.glob(osp.join(glob.escape(work_dir), 'best_*.pth'))
        if not found:
            raise SystemExit(f'No best_*.pth in {work_dir}: does the config\'s CheckpointHook '
                             'set save_best, and has a validation run yet?')
        # best_<key>_<epoch|iter>_<n>.pth, one file per key (the hook keeps the best only)
        keys = {re.sub(r'_(epoch|iter)_\d+\.pth$', '', osp.basename(f)): f for f in found}
        if prefix == 'best' and len(keys) > 1:
            raise SystemExit(f'{work_dir} holds the best checkpoints of {len(keys)} keys: name '
                             f'one, e.g. {sorted(keys)[0]}:{work_dir} (found: '
                             f'{", ".join(sorted(keys))}).')
        if prefix != 'best' and prefix not in keys:
            raise SystemExit(f'No {prefix}_*.pth in {work_dir} (found: '
                             f'{", ".join(sorted(keys))}).')
        spec = keys[prefix] if prefix != 'best' else next(iter(keys.values()))
    if not osp.isfile(spec):
        raise SystemExit(f'Checkpoint {spec!r} does not exist.')
    return spec


def checkpoint_mismatch(model, state_dict) -> str:
    """What keeps ``state_dict`` (a checkpoint's, ``module.`` prefixes as MMEngine strips them)
    from fitting ``model``: a message naming the missing and unexpected keys (a few of each) and
    the shapes that differ, or ``''`` when every key fits."""
    import re
    model = getattr(model, 'module', model)
    ours = model.state_dict()
    theirs = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    missing = sorted(set(ours) - set(theirs))
    unexpected = sorted(set(theirs) - set(ours))
    shapes = sorted(k for k in set(ours) & set(theirs)
                    if hasattr(theirs[k], 'shape') and tuple(theirs[k].shape) != tuple(
                        ours[k].shape))
    parts = []
    for what, keys, total in (('of the model\'s are missing from the checkpoint', missing, ours),
                              ('of the checkpoint\'s are not in the model', unexpected, theirs),
                              ('of the model\'s have another shape', shapes, ours)):
        if keys:
            shown = ', '.join(keys[:3]) + (', ...' if len(keys) > 3 else '')
            parts.append(f'{len(keys)} keys of {len(total)} {what} ({shown})')
    return '; '.join(parts)


def check_checkpoint_fits(model, checkpoint: dict, source: str, partial: bool = False) -> None:
    """Refuse, before any evaluation, a loaded checkpoint (from ``source``) whose keys do not fit
    the config's model (a checkpoint of another model or config would otherwise load nothing,
    with a log warning only, and give an untrained model's metrics); ``partial=True``
    (``--partial-load``) lets it load what fits, with the mismatch logged."""
    from mmengine.logging import print_log
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else \
        checkpoint
    problem = checkpoint_mismatch(model, state)
    if not problem:
        return
    if partial:
        print_log(f'--partial-load: {source}: {problem}', logger='current', level=30)
        return
    raise SystemExit(f'Checkpoint {source!r} does not fit the config\'s model: {problem}. It is '
                     'probably another model\'s or another config\'s; check the config and '
                     'checkpoint pair, or pass --partial-load to load what fits.')


def cuda_device_present() -> bool:
    """Whether this machine has a CUDA GPU that torch may use, found without touching the CUDA
    driver: a CUDA build of torch, an NVIDIA device node (``/dev/nvidia0``...; ``/dev/dxg``
    under WSL) and a ``CUDA_VISIBLE_DEVICES`` that does not hide every device."""
    import glob

    import torch
    if torch.version.cuda is None:
        return False
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    if visible is not None and visible.strip() in ('', '-1'):
        return False
    return bool(glob.glob('/dev/nvidia[0-9]*') or osp.exists('/dev/dxg')
                or glob.glob('/proc/driver/nvidia/gpus/*'))


def fork_is_safe() -> bool:
    """Whether a process forked from this one can use everything this one can. Not where a GPU
    is present: ``import mmopen`` reaches ``torch.cuda.is_available()`` (mmcv's device
    helpers), which starts the CUDA driver, and a forked child then cannot use CUDA even though
    ``torch.cuda.is_initialized()`` is still False. Callers start a new interpreter instead."""
    import torch
    return not cuda_device_present() and not torch.cuda.is_initialized()
