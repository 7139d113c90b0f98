"""Generate a SynOOD data set: near-boundary OOD images made from the most complex ID images of
every class, each with its mined negative label, and a manifest the fine-tuning configs read.

    python tools/synood/generate.py CONFIG [--out DIR] [--device cuda] [--amp]
    tools/synood/dist_generate.sh CONFIG NPROC [--out DIR] [--amp]      (torchrun, one shard
                                                                         per process)

CONFIG holds ``synood`` (the :class:`mmopen.ood.synood.SynOODGenerator` arguments), ``seed_data``
(``data_root``, ``ann_file``, ``data_prefix``, ``k``), ``seed`` and ``out_dir``
(``configs/synood/generate/``). The run is resumable: run the same command again after an
interruption and finished images are kept (see :mod:`mmopen.utils.sharded_writer`). Progress
goes to a bar and to ``OUT/logs/rank<r>.log``; ``OUT/manifest.json`` is written last, then a
contact sheet (``OUT/contact_sheet.png`` / ``.html``: each seed next to its image, with the
negative label and the loss before and after guidance; ``tools/synood/browse.py`` remakes it).

Every image has its own seed and the generator takes the seeds in fixed blocks of
``--batch-size`` (the config's ``batch_size``; 1 by default), so the set does not depend on the
number of processes: byte for byte when the processes compute alike (the same GPU model; on
CPU, the same number of threads per process, e.g. ``OMP_NUM_THREADS=1``, which torchrun sets).
Batches of several images keep a GPU (or CPU) busy with fewer calls; they give the same images
as batches of one up to floating-point rounding, so a resumed run keeps its batch size.
"""
import argparse
import os.path as osp
import sys

import mmopen  # noqa: E402,F401  (compatibility fixes first)
from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ood.synood import SynOODGenerator, read_image_list, select_seeds, synood_record
from mmopen.utils.contact_sheet import sheet_of_set
from mmopen.utils.progress import disable_progress
from mmopen.utils.sharded_writer import batch_size, check_run, init_ranks, run_shards, shard_logger


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--out', help='output folder (default: the config\'s out_dir)')
    parser.add_argument('--device', help='cpu, cuda (default: cuda when available; each '
                        'torchrun process takes cuda:LOCAL_RANK)')
    parser.add_argument('--amp', action='store_true',
                        help='fp16 diffusion components (CUDA only)')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--batch-size', type=int,
                        help='images per generator call (default: the config\'s batch_size, '
                        'else 1)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar (there is none when stderr is not a terminal)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. seed_data.k=10')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from mmengine.config import Config

    args = parse_args(argv)
    disable_progress(args.no_progress)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    out = args.out or cfg.get('out_dir')
    if not out:
        raise SystemExit('No output folder: pass --out or set out_dir in the config.')
    gen_cfg = dict(cfg.synood)
    amp = bool(args.amp or gen_cfg.get('fp16', False))
    rank, world, device = init_ranks(args.launcher, args.device, amp)
    gen_cfg.update(device=device, fp16=amp)
    sd = cfg.seed_data
    samples = read_image_list(osp.join(sd.data_root, sd.ann_file), sd.get('data_prefix', ''))
    seeds = select_seeds(samples, k=sd.get('k', 50), data_root=sd.data_root)
    fmt = cfg.get('image_format', 'jpg')
    batch = batch_size(args.batch_size or cfg.get('batch_size', 1))
    header = dict(seed=int(cfg.get('seed', 0)), num_seeds=len(seeds), image_format=fmt,
                  num_id_classes=len(load_vocabulary(gen_cfg['vocabulary'])),
                  data_root=osp.abspath(sd.data_root), ann_file=sd.ann_file, k=sd.get('k', 50),
                  vocabulary=gen_cfg['vocabulary'], neg_labels=gen_cfg['neg_labels'],
                  synood={k: v for k, v in gen_cfg.items() if k not in ('device', 'fp16')},
                  fp16=amp, **batch)  # a resume with another --amp would mix fp16 and fp32
    header = Config(dict(h=header)).to_dict()['h']  # plain JSON types
    if rank == 0:  # before anything is written there (the logs included)
        try:
            check_run(out, header)
        except (ValueError, FileExistsError) as e:
            raise SystemExit(str(e)) from None
    logger = shard_logger(out, rank, 'mmopen.ood.synood.generate')
    logger.info(f'SynOOD generation: {len(seeds)} seeds ({sd.get("k", 50)} per class) from '
                f'{sd.data_root}, {world} process(es), device {device}, output {out}')
    run_shards(lambda: SynOODGenerator(**gen_cfg), seeds, sd.data_root, out, header, rank,
               world, logger, progress=not args.no_progress, record_of=synood_record,
               desc='SynOOD')
    if rank == 0:
        png, html = sheet_of_set(out)
        logger.info(f'contact sheet: {png} and {html}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
