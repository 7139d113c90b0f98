"""Real-size checks of the paper configs: each config's real CLIP / diffusion / classifier
architecture with random-initialised weights (written by open_clip, diffusers and mmpretrain
from their architecture configs: nothing is downloaded), a few synthetic samples written in
the config's real data layout, then one training iteration (trainable configs), one test batch
(evaluation configs) or one generated image (generation configs).

The check runs in a *sandbox* folder that stands in for the working directory a user runs the
config from: the config's relative paths (``checkpoints/clip/ViT-B-16.pt``,
``data/imagenet/meta/val.txt``, ...) are made there, weight files as links into the weight
cache, data as files. So what is checked is the config as shipped: its model at its real size,
its data paths and formats, its pipelines at their real input size.

What the check changes, and says so in its table: text embeddings use one prompt template (the
first of each template set: text encoding of 14 templates x 283 classes through ConvNeXt-B's
text tower dominates a CPU run and is not what the check is for); every run is one iteration
with validation and checkpointing off and ``num_workers=0``; ``reduced=True`` (the test-suite
form) additionally shrinks segmentation input sizes 8x, batch sizes to 2 and the generation
resolution to 64, keeping every architecture whole.

Its weights are :mod:`real_size_weights`, its data :mod:`real_size_data` (the files beside this
one). Command line: ``tools/misc/check_configs.py``.
"""
import contextlib
import glob
import os
import os.path as osp
import resource
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from PIL import Image

from mmopen.clip.templates import resolve_templates
from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ood.synood.generator import SynOODGenerator
from mmopen.ood.synood.seeds import read_image_list, select_seeds
from mmopen.utils import build_runner
from mmopen.utils.sharded_writer import sample_seed
from mmopen.utils.tool_main import load_tool

# Config keys that hold prompt-template sets (reduced to their first template by the check).
TEMPLATE_KEYS = ('templates', 'neg_noun_templates', 'neg_adj_templates', 'neg_csp_templates')

_HERE = osp.dirname(osp.abspath(__file__))
_weights = load_tool(osp.join(_HERE, 'real_size_weights.py'))
_data = load_tool(osp.join(_HERE, 'real_size_data.py'))
WeightCache, default_cache = _weights.WeightCache, _weights.default_cache
DataWriter, NUM_NEG_LABELS = _data.DataWriter, _data.NUM_NEG_LABELS


# ----------------------------------------------------------------------------- configs
def _dicts(node):
    """Every dict in a nested config (``Config`` / dict / list / tuple), outermost first."""
    if hasattr(node, 'to_dict'):
        node = node.to_dict()
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _dicts(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _dicts(v)


def config_kind(cfg) -> str:
    if 'synood' in cfg:
        return 'generate'
    if cfg.get('train_dataloader') and cfg.get('train_cfg'):
        return 'train'
    return 'test'


def architectures(cfg) -> List[str]:
    """The pretrained architectures a config needs (CLIP, diffusion, classifiers)."""
    found = []
    for node in _dicts(cfg):
        if isinstance(node.get('model_name'), str) and 'weights' in node:
            found.append(f'CLIP {node["model_name"]}')
        if isinstance(node.get('inpaint_model'), str):
            found.append('SD-2-inpainting')
        if node.get('type') == 'mmpretrain' and isinstance(node.get('config'), str):
            found.append(osp.splitext(osp.basename(node['config'].split('::')[-1]))[0])
    return list(dict.fromkeys(found))


def _one_template(node) -> None:
    if isinstance(node, dict):
        for key in TEMPLATE_KEYS:
            if node.get(key) is not None:
                node[key] = (resolve_templates(node[key])[0], )
        for v in node.values():
            _one_template(v)
    elif isinstance(node, list):
        for v in node:
            _one_template(v)


def _shrink_sizes(node, factor: int) -> None:
    """Segmentation input sizes / ``factor`` (data preprocessor pad size, crops, resizes)."""
    if isinstance(node, dict):
        kind = node.get('type')
        for key in ('crop_size', 'scale', 'size'):
            val = node.get(key)
            if (isinstance(val, (list, tuple)) and len(val) == 2
                    and all(isinstance(v, int) for v in val)
                    and (key != 'scale' or kind in ('RandomResize', 'Resize'))
                    and (key != 'size' or kind == 'SegDataPreProcessor')):
                node[key] = tuple(max(v // factor, 32) for v in val)
        for v in node.values():
            _shrink_sizes(v, factor)
    elif isinstance(node, list):
        for v in node:
            _shrink_sizes(v, factor)


# Mask2FormerHead's own arguments (what a stock head keeps of an OVSNetHead config)
MASK2FORMER_KEYS = ('in_channels', 'strides', 'feat_channels', 'out_channels', 'num_queries',
                    'num_transformer_feat_level', 'align_corners', 'pixel_decoder',
                    'enforce_decoder_input_project', 'positional_encoding',
                    'transformer_decoder', 'loss_mask', 'loss_dice', 'train_cfg')


def stock_head(cfg):
    """The baseline of an OVSNet config: mmseg's stock ``Mask2FormerHead`` with the same
    pixel decoder, transformer decoder, queries and losses, closed-vocabulary over the same
    classes, on the same frozen CLIP backbone (without pool features), in a plain
    ``EncoderDecoder``: what OVSNet's head adds (text classifier, mask pooling, GFA, Proxy
    Calibration) is the difference."""
    head = cfg.model.decode_head
    if head.get('type') != 'OVSNetHead':
        raise ValueError(f'--stock-head needs an OVSNetHead config (decode_head is '
                         f'{head.get("type")!r}).')
    num_classes = len(load_vocabulary(head.vocabulary))
    stock = {k: head[k] for k in MASK2FORMER_KEYS if k in head}
    stock.update(type='Mask2FormerHead', num_classes=num_classes, loss_cls=dict(
        type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean',
        class_weight=[1.0] * num_classes + [0.1]))
    cfg.model.decode_head = stock
    cfg.model.type = 'EncoderDecoder'
    cfg.model.backbone.with_pool_features = False
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h.get('type') not in ('OpenVocabularyHook', 'ProxyCalibrationHook')]
    return cfg


def adapt_config(cfg, kind: str, work_dir: str, reduced: bool = False, amp: bool = False,
                 iters: int = 1):
    """The config as run by the check: one template per template set, ``iters`` training
    iterations, no validation or checkpoints, ``num_workers=0``; ``reduced`` also shrinks
    segmentation input sizes 8x and batch sizes to 2."""
    _one_template(cfg.model if 'model' in cfg else {})
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    if reduced and cfg.get('default_scope') == 'mmseg':
        for key in ('model', 'train_dataloader', 'test_dataloader', 'val_dataloader',
                    'train_pipeline', 'test_pipeline'):
            if cfg.get(key) is not None:
                _shrink_sizes(cfg[key], 8)
    loaders = ('train_dataloader', ) if kind == 'train' else ('test_dataloader', )
    for key in loaders:
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        if reduced:
            loader.batch_size = min(loader.batch_size, 2)
    if kind == 'train':
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=10 ** 9)
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
        cfg.param_scheduler = None
        cfg.default_hooks = dict(cfg.get('default_hooks') or {}, checkpoint=None,
                                 logger=dict(type='LoggerHook', interval=1))
        cfg.log_processor = dict(by_epoch=False)
        if amp:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.train_cfg = cfg.train_dataloader = None
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.optim_wrapper = cfg.param_scheduler = None
    if cfg.get('default_hooks'):
        cfg.default_hooks.pop('visualization', None)
    cfg.load_from = None
    cfg.resume = False
    return cfg


def prepare_sandbox(cfg, kind: str, sandbox: str, weights: WeightCache,
                    writer: DataWriter) -> None:
    """Weight links and synthetic data at the relative paths the config names."""

    def link(rel: str, target: str) -> None:
        if osp.isabs(rel):
            raise ValueError(f'{rel!r} is an absolute path: the check only redirects paths '
                             'relative to the working directory.')
        dst = osp.join(sandbox, rel)
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if osp.lexists(dst):
            if osp.realpath(dst) == osp.realpath(target):
                return
            os.remove(dst)
        os.symlink(target, dst)

    manifests = []
    for node in _dicts(cfg):
        if isinstance(node.get('model_name'), str) and isinstance(node.get('weights'), str):
            link(node['weights'], weights.clip(node['model_name']))
        if isinstance(node.get('inpaint_model'), str):
            link(node['inpaint_model'], weights.inpaint())
        if node.get('type') == 'mmpretrain' and isinstance(node.get('checkpoint'), str):
            link(node['checkpoint'], weights.mmpretrain(node['config']))
        if isinstance(node.get('neg_labels'), str):
            writer.neg_labels(node['neg_labels'])
        if isinstance(node.get('mined_from'), str):
            manifests.append(node['mined_from'])
    for manifest in manifests:
        writer.synood_manifest(manifest)
    if kind == 'generate':
        sd = cfg.seed_data
        writer._imagenet(dict(data_root=sd.data_root, split='train'))
        return
    loader = cfg.train_dataloader if kind == 'train' else cfg.test_dataloader
    writer.write(loader.dataset)


class _Timer:
    """Times the training / test iterations of a runner (CUDA-synchronised)."""

    def __init__(self):
        from mmengine.hooks import Hook

        timer = self

        class IterTimer(Hook):
            priority = 'VERY_LOW'

            def _start(self, *args, **kwargs):
                timer.sync()
                timer.t0 = time.perf_counter()

            def _stop(self, *args, outputs=None, **kwargs):
                timer.sync()
                timer.times.append(time.perf_counter() - timer.t0)
                loss = outputs.get('loss') if isinstance(outputs, dict) else None
                if loss is not None:  # the training loss, to show it finite and falling
                    timer.losses.append(float(loss))

            before_train_iter = before_test_iter = _start
            after_train_iter = after_test_iter = _stop

        self.hook = IterTimer()
        self.times: List[float] = []
        self.losses: List[float] = []
        self.t0 = 0.0

    @staticmethod
    def sync():
        import torch
        if torch.cuda.is_available():
            torch.cuda.synchronize()


def peak_memory() -> Dict[str, float]:
    """Peak resident memory of this process (GB) and, on CUDA, peak allocated GPU memory."""
    import torch
    out = dict(peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2)
    if torch.cuda.is_available():
        out['peak_cuda_gb'] = torch.cuda.max_memory_allocated() / 1024 ** 3
    return out


def count_params(model) -> Dict[str, float]:
    params = list(model.parameters())
    return dict(params_m=sum(p.numel() for p in params) / 1e6,
                trainable_m=sum(p.numel() for p in params if p.requires_grad) / 1e6)


@contextlib.contextmanager
def _cwd(path: str):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def check_config(config: str, sandbox: str, cache: Optional[str] = None, reduced: bool = False,
                 amp: bool = False, iters: int = 1, stock: bool = False, log=print) -> dict:
    """Run one config as the check does (see the module docstring) in ``sandbox``; returns its
    row: ``config, kind, architecture, params_m, trainable_m, build_s, iter_s, peak_rss_gb``
    (``peak_cuda_gb`` on CUDA). ``iters`` training iterations (``iter_s``: their median, the
    first left out when there are more than two); ``stock``: the OVSNet config with mmseg's
    stock ``Mask2FormerHead`` instead (:func:`stock_head`). Raises whatever the run raises."""
    config = osp.abspath(config)
    cfg = Config.fromfile(config)
    if stock:
        cfg = stock_head(cfg)
    kind = config_kind(cfg)
    name = osp.splitext(osp.basename(config))[0] + ('_stock-head' if stock else '')
    rel = config[config.rindex('/configs/') + 1:] if '/configs/' in config else config
    rel += ' (stock Mask2FormerHead)' if stock else ''
    arch_of = cfg.synood if kind == 'generate' else cfg.model
    row = dict(config=rel, kind=kind, architecture=', '.join(architectures(arch_of)) or '-')
    os.makedirs(sandbox, exist_ok=True)
    sandbox = osp.abspath(sandbox)
    image_hw = (64, 80) if reduced else (375, 500)
    seg_hw = (96, 128) if reduced else (480, 640)
    batch = 2
    if kind in ('train', 'test'):
        loader = cfg.train_dataloader if kind == 'train' else cfg.test_dataloader
        batch = 2 if reduced else loader.batch_size
    writer = DataWriter(sandbox, samples=max(batch, 2), image_hw=image_hw, seg_hw=seg_hw,
                        num_neg_labels=200 if reduced else NUM_NEG_LABELS)
    weights = WeightCache(cache, log=log)
    prepare_sandbox(cfg, kind, sandbox, weights, writer)
    start = time.perf_counter()
    with _cwd(sandbox):
        if kind == 'generate':
            row.update(_check_generation(cfg, reduced, log, amp))
        else:
            cfg = adapt_config(cfg, kind, osp.join(sandbox, 'work_dirs', name), reduced, amp,
                               iters)
            runner = build_runner(cfg)
            row.update(count_params(runner.model))
            timer = _Timer()
            runner.register_hook(timer.hook)
            if kind == 'train':
                runner.train()
            else:
                runner.test()
            times = timer.times[1:] if len(timer.times) > 2 else timer.times
            row['iter_s'] = float(np.median(times)) if times else float('nan')
            row['iters'] = len(timer.times)
            if timer.losses:  # first and mean of the last quarter: a falling, finite loss
                tail = timer.losses[-max(1, len(timer.losses) // 4):]
                row.update(loss_first=timer.losses[0], loss_last=float(np.mean(tail)),
                           loss_finite=bool(np.isfinite(timer.losses).all()))
            row['build_s'] = time.perf_counter() - start - sum(timer.times)
            row['amp'] = bool(amp)
    row.update(peak_memory())
    row['reduced'] = reduced
    return row


def _check_generation(cfg, reduced: bool, log, amp: bool = False) -> dict:
    """One SynOOD image from the first seed of the config's seed list, at the config's
    resolution and guidance settings (``reduced``: resolution 64, one outer iteration, 5
    DDIM steps), on the GPU when there is one (``amp``: fp16 diffusion components, as
    ``tools/synood/generate.py --amp``)."""
    import torch
    start = time.perf_counter()
    gen_cfg = dict(cfg.synood)
    if torch.cuda.is_available():
        gen_cfg['device'] = 'cuda'
    if amp:
        gen_cfg['fp16'] = True
    if reduced:
        gen_cfg['resolution'] = 64
        gen_cfg['guidance'] = dict(gen_cfg.get('guidance') or {}, outer_iters=1, steps=5)
    generator = SynOODGenerator(**gen_cfg)
    params = sum(p.numel() for m in (generator.model.unet, generator.model.vae,
                                     generator.model.text_encoder) for p in m.parameters())
    params += sum(p.numel() for p in generator.classifier.parameters())
    sd = cfg.seed_data
    samples = read_image_list(osp.join(sd.data_root, sd.ann_file), sd.get('data_prefix', ''))
    seed = select_seeds(samples, k=sd.get('k', 50), data_root=sd.data_root)[0]
    with Image.open(osp.join(sd.data_root, seed.path)) as im:
        rgb = np.asarray(im.convert('RGB'))
    build_s = time.perf_counter() - start
    _Timer.sync()
    t0 = time.perf_counter()
    out = generator.generate([rgb], [seed.path], [seed.label],
                             [sample_seed(int(cfg.get('seed', 0)), seed.path)])[0]
    _Timer.sync()
    iter_s = time.perf_counter() - t0
    if out.image.shape[:2] != (generator.resolution, ) * 2 or not np.isfinite(
            np.asarray(out.losses)).all():
        raise RuntimeError(f'generation gave an image of shape {out.image.shape} and losses '
                           f'{out.losses}')
    log(f'generated one image: negative label {out.neg_label!r}, OOD loss {out.losses}')
    return dict(params_m=params / 1e6, trainable_m=0.0, build_s=build_s, iter_s=iter_s,
                amp=bool(amp), loss_first=float(np.asarray(out.losses).ravel()[0]),
                loss_last=float(np.asarray(out.losses).ravel()[-1]),
                loss_finite=bool(np.isfinite(np.asarray(out.losses)).all()))


def paper_configs(repo: str) -> List[str]:
    """Every config a paper run uses: not quickstart, not a ``_base_`` fragment."""
    found = glob.glob(osp.join(repo, 'configs', '**', '*.py'), recursive=True)
    return sorted(p for p in found if '_base_' not in p.split(osp.sep)
                  and 'quickstart' not in p.split(osp.sep)
                  and osp.basename(osp.dirname(p)) != 'quickstart')
