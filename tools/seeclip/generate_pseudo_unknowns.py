"""Pre-generate SeeCLIP pseudo-unknowns: source-domain training images whose semantic tokens are
perturbed and re-rendered by a diffusion model (:mod:`mmopen.osdg.seeclip.pseudo_unknowns`),
written as a data set that ``OSDGDataset(pseudo_unknowns=OUT)`` adds to training with the label
"unknown".

    python tools/seeclip/generate_pseudo_unknowns.py CONFIG [--checkpoint CKPT] [--out DIR]
        [--device cuda] [--amp]
    tools/seeclip/dist_generate_pseudo_unknowns.sh CONFIG NPROC [--checkpoint CKPT] ...

CONFIG is a SeeCLIP training config with a ``pseudo_unknown_generation`` dict: ``inpaint_model`` (a
local SD-2-inpainting-compatible folder, as for SynOOD), ``sigma``, ``noise``, ``prompt``,
``guidance``, ``resolution`` (the :class:`mmopen.osdg.seeclip.PseudoUnknownGenerator` arguments),
``prompt_domain`` (``'own'``, the default: each image's domain in the prompt; ``'first'``: the
first source domain for every image, as the release; or a word), ``per_group`` (source images per
domain and class), ``seed``, ``image_format``, ``out_dir`` and ``batch_size`` (images per generator
call, 1 by default; ``--batch-size`` overrides it: other sizes give the same images up to
floating-point rounding). The semantic tokens come from the config's model: its prompt learner as
initialised, or as trained with ``--checkpoint`` (e.g. a run without pseudo-unknowns, then a second
run with them). The run is resumable and sharded exactly like SynOOD's generation
(:mod:`mmopen.utils.sharded_writer`): run the same command again after an interruption; progress
goes to a bar (on a terminal) and to ``OUT/logs/rank<r>.log``; ``OUT/manifest.json`` is written
last, then a contact sheet (``OUT/contact_sheet.png`` / ``.html``: each source next to its
pseudo-unknown, with its class, domain and token distance before and after guidance).
"""
import argparse
import os.path as osp
import sys

import mmopen  # noqa: E402,F401  (compatibility fixes first)
from mmopen.clip.weights import file_digest
from mmopen.osdg.seeclip.pseudo_unknowns import PseudoUnknownGenerator
from mmopen.osdg.seeclip.writer import PseudoUnknownSource, pseudo_unknown_record, select_sources
from mmopen.utils import resolve_checkpoint
from mmopen.utils.contact_sheet import sheet_of_set
from mmopen.utils.progress import disable_progress
from mmopen.utils.sharded_writer import batch_size, check_run, init_ranks, run_shards, shard_logger

GENERATOR_KEYS = ('inpaint_model', 'sigma', 'noise', 'prompt', 'prompt_domain', 'guidance',
                  'resolution')


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='a SeeCLIP checkpoint (a file, last:WORK_DIR or '
                        'best:WORK_DIR) whose prompt learner gives the semantic tokens (default: '
                        'the learner as initialised)')
    parser.add_argument('--out', help='output folder (default: the config\'s '
                        'pseudo_unknown_generation.out_dir)')
    parser.add_argument('--device', help='cpu, cuda (default: cuda when available; each '
                        'torchrun process takes cuda:LOCAL_RANK)')
    parser.add_argument('--amp', action='store_true', help='fp16 diffusion components (CUDA)')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--batch-size', type=int,
                        help='images per generator call (default: the config\'s '
                        'pseudo_unknown_generation.batch_size, else 1)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar (there is none when stderr is not a terminal)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. pseudo_unknown_generation.sigma=0.3')
    return parser.parse_args(argv)


def source_items(cfg):
    """The training split's data infos, without pseudo-unknowns (the sources), its data root
    and its known class names."""
    from mmpretrain.registry import DATASETS
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg.update(pseudo_unknowns=None, pipeline=[])
    ds_cfg.pop('pseudo_unknown_ratio', None)
    dataset = DATASETS.build(ds_cfg)
    return ([dataset.get_data_info(i) for i in range(len(dataset))], ds_cfg['data_root'],
            list(dataset.metainfo['known_classes']), list(dataset.source_domains))


def resolve_prompt_domain(value, source_domains):
    """``prompt_domain`` of the config: ``'own'`` / ``None`` (each image's domain), ``'first'``
    (the first source domain for every image: the release's ``domainnames[0]``) or a word."""
    if value in (None, 'own'):
        return None
    if value == 'first':
        return source_domains[0]
    return str(value)


def build_model(cfg, checkpoint, device):
    from mmpretrain.registry import MODELS

    from mmopen.compat import load_weights
    model_cfg = dict(cfg.model)
    model_cfg.pop('pseudo_unknowns', None)
    model = MODELS.build(model_cfg)
    if checkpoint:
        load_weights(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


def main(argv=None) -> int:
    from mmengine.config import Config

    args = parse_args(argv)
    disable_progress(args.no_progress)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    gen = cfg.get('pseudo_unknown_generation')
    if gen is None:
        raise SystemExit(f'{args.config} has no `pseudo_unknown_generation` settings (see '
                         'configs/seeclip/quickstart/).')
    gen = dict(gen)
    out = args.out or gen.get('out_dir')
    if not out:
        raise SystemExit('No output folder: pass --out or set pseudo_unknown_generation.out_dir.')
    fp16 = bool(args.amp or gen.get('fp16', False))
    rank, world, device = init_ranks(args.launcher, args.device, fp16)
    args.checkpoint = resolve_checkpoint(args.checkpoint) if args.checkpoint else None
    items, data_root, known, sources = source_items(cfg)
    gen['prompt_domain'] = resolve_prompt_domain(gen.get('prompt_domain'), sources)
    seeds = select_sources(items, data_root, int(gen.get('per_group', 4)),
                           int(gen.get('seed', 0)))
    fmt = gen.get('image_format', 'jpg')
    header = dict(kind='seeclip_pseudo_unknowns', seed=int(gen.get('seed', 0)),
                  num_seeds=len(seeds), image_format=fmt, data_root=osp.abspath(data_root),
                  per_group=int(gen.get('per_group', 4)),
                  checkpoint=file_digest(args.checkpoint) if args.checkpoint else None,
                  generator={k: gen[k] for k in GENERATOR_KEYS if k in gen},
                  fp16=fp16,  # a resume with another --amp would mix fp16 and fp32 images
                  **batch_size(args.batch_size or gen.get('batch_size', 1)))
    header = Config(dict(h=header)).to_dict()['h']  # plain JSON types
    if rank == 0:  # before anything is written there (the logs included)
        try:
            check_run(out, header)
        except (ValueError, FileExistsError) as e:
            raise SystemExit(str(e)) from None
    logger = shard_logger(out, rank, 'mmopen.osdg.seeclip.generate')
    logger.info(f'SeeCLIP pseudo-unknowns: {len(seeds)} sources from {data_root}, {world} '
                f'process(es), device {device}, output {out}')

    def make_source():
        model = build_model(cfg, args.checkpoint, device)
        kw = {k: gen[k] for k in GENERATOR_KEYS if k in gen}
        generator = PseudoUnknownGenerator(class_names=model.class_names, device=device,
                                           fp16=fp16, **kw)
        return PseudoUnknownSource(model, generator)

    run_shards(make_source, seeds, data_root, out, header, rank, world, logger,
               progress=not args.no_progress, record_of=pseudo_unknown_record,
               desc='SeeCLIP pseudo-unknowns')
    if rank == 0:
        png, html = sheet_of_set(out, known)
        logger.info(f'contact sheet: {png} and {html}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
