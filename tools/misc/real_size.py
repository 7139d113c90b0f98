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

Command line: ``tools/misc/check_configs.py``.
"""
import contextlib
import glob
import hashlib
import json
import os
import os.path as osp
import resource
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from PIL import Image

from mmopen.clip.templates import resolve_templates
from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ood.synood.generator import SynOODGenerator, SynOODSample
from mmopen.ood.synood.manifest import synood_record
from mmopen.ood.synood.seeds import read_image_list, select_seeds
from mmopen.osdg.benchmarks import load_osdg_benchmark
from mmopen.quickstart.tiny_clip import write_clip_file
from mmopen.quickstart.tiny_diffusion import write_tiny_inpaint
from mmopen.utils import build_runner
from mmopen.utils.io import atomic_path, write_text_atomic
from mmopen.utils.sharded_writer import Seed, generate_shard, sample_seed, write_manifest

CACHE_ENV = 'MMOPEN_CHECK_CACHE'

# stabilityai/stable-diffusion-2-inpainting's component configs (the architecture, not the
# weights): UNet 9-channel input, ~866M parameters; VAE ~84M; OpenCLIP ViT-H text tower ~340M.
SD2_INPAINT = dict(
    unet=dict(
        sample_size=64, in_channels=9, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=('CrossAttnDownBlock2D', ) * 3 + ('DownBlock2D', ),
        up_block_types=('UpBlock2D', ) + ('CrossAttnUpBlock2D', ) * 3,
        cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True, norm_num_groups=32, flip_sin_to_cos=True, freq_shift=0),
    vae=dict(
        in_channels=3, out_channels=3, latent_channels=4, sample_size=512, layers_per_block=2,
        block_out_channels=(128, 256, 512, 512), norm_num_groups=32,
        down_block_types=('DownEncoderBlock2D', ) * 4, up_block_types=('UpDecoderBlock2D', ) * 4,
        scaling_factor=0.18215),
    text=dict(
        vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
        num_attention_heads=16, max_position_embeddings=77, projection_dim=512,
        hidden_act='gelu', bos_token_id=49406, eos_token_id=49407, pad_token_id=49407))

# Config keys that hold prompt-template sets (reduced to their first template by the check).
TEMPLATE_KEYS = ('templates', 'neg_noun_templates', 'neg_adj_templates', 'neg_csp_templates')
# Negative labels written for the OOD configs: the paper's M = 10,000 (NegLabel, Sec. 4.1).
NUM_NEG_LABELS = 10000


def default_cache() -> str:
    return os.environ.get(CACHE_ENV) or osp.join(osp.expanduser('~'), '.cache', 'mmopen',
                                                 'check_configs')


def _versions_key() -> str:
    """Random weights depend on the libraries that initialise them: one cache per version set."""
    from importlib.metadata import version

    import torch

    # the other versions from the installed metadata (the same strings as their __version__):
    # importing diffusers and transformers costs seconds
    text = ' '.join([torch.__version__, version('open_clip_torch'), version('diffusers'),
                     version('transformers'), 'v1'])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class WeightCache:
    """Random-initialised weight files of real architectures, written once per library-version
    set under ``root`` (atomically: an interrupted write leaves nothing)."""

    def __init__(self, root: Optional[str] = None, log=print):
        self.root = osp.join(osp.abspath(root or default_cache()), _versions_key())
        self.log = log

    def clip(self, model_name: str) -> str:
        """An open_clip ``model_name`` CLIP (safetensors; the reader does not go by the file
        name, so a config's ``ViT-B-16.pt`` path can point at it)."""
        path = osp.join(self.root, 'clip', f'{model_name}.safetensors')
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            self.log(f'writing random-initialised CLIP {model_name} to {path}')
            write_clip_file(model_name, path, 'safetensors', seed=0)
        return path

    def inpaint(self) -> str:
        """A Stable-Diffusion-2-inpainting model folder (diffusers layout, fp32)."""
        path = osp.join(self.root, 'stable-diffusion-2-inpainting')
        if not osp.isfile(osp.join(path, 'model_index.json')):
            os.makedirs(self.root, exist_ok=True)
            self.log(f'writing random-initialised SD-2-inpainting components to {path}')
            write_tiny_inpaint(path, architecture=SD2_INPAINT, log=self.log)
        return path

    def mmpretrain(self, config: str) -> str:
        """A checkpoint (``state_dict``) of the mmpretrain model ``config`` builds."""
        import torch
        from mmengine.config import Config
        from mmpretrain.registry import MODELS
        name = config.split('::')[-1].replace('/', '_').replace('.py', '')
        path = osp.join(self.root, 'mmpretrain', f'{name}.pth')
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            self.log(f'writing random-initialised {config} to {path}')
            torch.manual_seed(0)
            if '::' in config:
                from mmengine.hub import get_config
                model_cfg = get_config(config).model
            else:
                model_cfg = Config.fromfile(config).model
            model = MODELS.build(model_cfg)
            model.init_weights()
            with atomic_path(path) as tmp:
                torch.save(dict(state_dict=model.state_dict()), tmp)
        return path


# ----------------------------------------------------------------------------- synthetic data
def _image(rng: np.random.Generator, hw: Tuple[int, int]) -> np.ndarray:
    """A smooth random colour image (JPEG-friendly)."""
    h, w = hw
    small = rng.integers(0, 256, (max(h // 16, 2), max(w // 16, 2), 3)).astype(np.uint8)
    from PIL import Image
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BILINEAR))


def _save_image(img: np.ndarray, path: str) -> None:
    from PIL import Image
    os.makedirs(osp.dirname(path), exist_ok=True)
    fmt = {'.png': 'PNG', '.tif': 'TIFF', '.tiff': 'TIFF'}.get(osp.splitext(path)[1].lower(),
                                                              'JPEG')
    Image.fromarray(img).save(path, format=fmt)


def _suffix(value, default: str) -> str:
    if isinstance(value, (list, tuple)):
        return value[0]
    return value or default


class DataWriter:
    """Writes a few synthetic samples in the on-disk layout a dataset config reads, under the
    sandbox (relative paths are relative to it, as they are to a user's working directory)."""

    def __init__(self, sandbox: str, samples: int, image_hw: Tuple[int, int],
                 seg_hw: Tuple[int, int], num_neg_labels: int = NUM_NEG_LABELS, seed: int = 0):
        self.sandbox = sandbox
        self.samples = samples
        self.image_hw = image_hw
        self.seg_hw = seg_hw
        self.num_neg_labels = num_neg_labels
        self.rng = np.random.default_rng(seed)
        self.done = set()

    def path(self, *parts) -> str:
        joined = osp.join(*[p for p in parts if p])
        return joined if osp.isabs(joined) else osp.join(self.sandbox, joined)

    def write(self, ds: dict) -> None:
        kind = ds.get('type')
        key = json.dumps(ds, sort_keys=True, default=str)
        if key in self.done:
            return
        self.done.add(key)
        writer = getattr(self, f'_write_{kind}', None)
        if writer is None:
            raise NotImplementedError(
                f'check_configs has no synthetic-data writer for dataset type {kind!r}: add '
                f'DataWriter._write_{kind} in {__file__}.')
        writer(ds)

    # ---- segmentation
    def _write_VocabSegDataset(self, ds: dict) -> None:
        vocab = ds['vocabulary']
        if isinstance(vocab, str) and '/' in vocab:  # a class file the user's data ships
            target = self.path(vocab)
            if not osp.isfile(target):
                os.makedirs(osp.dirname(target), exist_ok=True)
                names = [f'class {i}' for i in range(286)] + ['others']
                write_text_atomic(''.join(n + '\n' for n in names), target)
            vocab = target
        num_classes = len(load_vocabulary(vocab))
        root = ds.get('data_root', '')
        prefix = ds.get('data_prefix', {})
        img_suffix = _suffix(ds.get('img_suffix'), '.jpg')
        seg_suffix = ds.get('seg_map_suffix', '.png')
        ignore = ds.get('ignore_index', 255)
        wide = ignore == 65535 or seg_suffix in ('.tif', '.tiff')
        reduce_zero = ds.get('reduce_zero_label', True)
        for i in range(self.samples):
            _save_image(_image(self.rng, self.seg_hw),
                        self.path(root, prefix.get('img_path', ''), f'sample{i}{img_suffix}'))
            lo, hi = (1, num_classes + 1) if reduce_zero else (0, num_classes)
            label = self.rng.integers(lo, hi, self.seg_hw)
            # a few class blocks, so that the masks are regions, as in real annotations
            h, w = self.seg_hw
            label = np.repeat(np.repeat(label[::max(h // 4, 1), ::max(w // 4, 1)],
                                        max(h // 4, 1), 0), max(w // 4, 1), 1)[:h, :w]
            label[:h // 8] = 0 if reduce_zero else ignore  # an unlabelled strip
            label = label.astype(np.uint16 if wide else np.uint8)
            _save_image(label, self.path(root, prefix.get('seg_map_path', ''),
                                         f'sample{i}{seg_suffix}'))
        if ds.get('ann_file'):  # VOC / Pascal Context: a list of the split's image names
            target = self.path(root, ds['ann_file'])
            os.makedirs(osp.dirname(target), exist_ok=True)
            write_text_atomic(''.join(f'sample{i}\n' for i in range(self.samples)), target)

    # ---- classification / OOD
    def _class_folders(self, n: int) -> List[str]:
        return [f'n{i:08d}' for i in range(n)]

    def _write_ImageNet(self, ds: dict) -> None:
        root = ds.get('data_root', '')
        split = ds.get('split', 'val')
        folders = self._class_folders(1000)
        lines = []
        for i in range(self.samples):
            label = int(self.rng.integers(0, 1000))
            rel = f'{folders[label]}/{split}_{i}.JPEG'
            _save_image(_image(self.rng, self.image_hw), self.path(root, split, rel))
            lines.append(f'{rel} {label}\n')
        target = self.path(root, 'meta', f'{split}.txt')
        os.makedirs(osp.dirname(target), exist_ok=True)
        write_text_atomic(''.join(lines), target)

    def _write_CustomDataset(self, ds: dict) -> None:
        root = ds.get('data_root', '')
        prefix = ds.get('data_prefix', '')
        prefix = prefix.get('img_path', '') if isinstance(prefix, dict) else prefix
        lines = []
        for i in range(self.samples):
            rel = f'imagenet_1k/val/id_{i}.JPEG'
            _save_image(_image(self.rng, self.image_hw), self.path(root, prefix, rel))
            lines.append(f'{rel} {int(self.rng.integers(0, 1000))}\n'
                         if ds.get('with_label', True) else f'{rel}\n')
        target = osp.normpath(self.path(root, ds['ann_file']))
        os.makedirs(osp.dirname(target), exist_ok=True)
        write_text_atomic(''.join(lines), target)

    def _write_ImageListDataset(self, ds: dict) -> None:
        root = ds.get('data_root', '')
        prefix = ds.get('data_prefix', '')
        name = osp.basename(ds.get('ann_file') or prefix.rstrip('/')) or 'ood'
        rels = [f'{osp.splitext(name)[0]}/ood_{i}.jpg' for i in range(max(self.samples // 2, 2))]
        for rel in rels:
            _save_image(_image(self.rng, self.image_hw), self.path(root, prefix, rel))
        if ds.get('ann_file'):
            target = osp.normpath(self.path(root, ds['ann_file']))
            os.makedirs(osp.dirname(target), exist_ok=True)
            write_text_atomic(''.join(r + '\n' for r in rels), target)

    def _write_OODBenchmarkDataset(self, ds: dict) -> None:
        self.write(ds['id_dataset'])
        for sub in ds['ood_datasets'].values():
            if isinstance(sub, dict) and 'type' in sub:
                self.write(sub)

    def _write_FewShotDataset(self, ds: dict) -> None:
        self.write(ds['dataset'])

    # ---- open-set domain generalisation
    def _write_OSDGDataset(self, ds: dict) -> None:
        bench = load_osdg_benchmark(ds['benchmark'])
        root = ds['data_root']
        per_class = 2 if self.samples <= 4 else 3
        for domain in bench.domains:
            for cls in bench.classes_of(domain):
                folder = self.path(root, domain, cls)
                if osp.isdir(folder):
                    continue
                for i in range(per_class):
                    _save_image(_image(self.rng, self.image_hw), osp.join(folder, f'{i}.jpg'))
        pseudo = ds.get('pseudo_unknowns')
        if pseudo:
            self._write_pseudo_unknowns(pseudo, [d for d in bench.domains
                                                 if d != ds.get('target_domain')])

    def _write_pseudo_unknowns(self, out: str, domains: Sequence[str]) -> None:
        """A pseudo-unknown set in the layout ``tools/seeclip/generate_pseudo_unknowns.py``
        writes (images + ``manifest.json`` of kind ``seeclip_pseudo_unknowns``)."""
        out = self.path(out)
        if osp.isfile(osp.join(out, 'manifest.json')):
            return
        records = []
        for d, domain in enumerate(domains):
            for i in range(4):
                rel = f'images/{d:02d}{i:05d}.jpg'
                _save_image(_image(self.rng, self.image_hw), osp.join(out, rel))
                records.append(dict(index=len(records), image=rel, domain=domain,
                                    source_label=i % 2))
        os.makedirs(out, exist_ok=True)
        write_text_atomic(json.dumps(dict(kind='seeclip_pseudo_unknowns', records=records)),
                          osp.join(out, 'manifest.json'))

    # ---- SynOOD
    def _write_SynOODDataset(self, ds: dict) -> None:
        self.synood_manifest(ds['manifest'], ds.get('data_root'))

    def synood_manifest(self, manifest: str, id_root: Optional[str] = None,
                        neg_labels: str = 'data/neg_labels/imagenet_vit-b16.txt') -> None:
        """A SynOOD set written by the project's own writer (``generate_shard`` +
        ``write_manifest``), its "generator" copying each seed image: the manifest, records and
        image layout of ``tools/synood/generate.py``, without the diffusion model."""
        out = self.path(osp.dirname(manifest) if manifest.endswith('.json') else manifest)
        if osp.isfile(osp.join(out, 'manifest.json')):
            return
        id_root = id_root or 'data/imagenet'
        self._write_ImageNet(dict(data_root=id_root, split='train'))
        with open(self.path(id_root, 'meta', 'train.txt')) as f:
            pairs = [line.split() for line in f if line.strip()]
        seeds = [Seed(osp.join('train', p), int(lb), 0.0) for p, lb in pairs[:4]]
        neg = self.neg_labels(neg_labels)

        class Copy:
            def generate(self, images, paths, labels, noise_seeds):
                return [SynOODSample(images[0], i % neg, f'word{i % neg}', 'ctx', 'prompt',
                                     int(noise_seeds[0]), [0.0])
                        for i in range(len(images))]

        generate_shard(Copy, seeds, self.path(id_root), out, 0, progress=False,
                       record_of=synood_record)
        header = dict(seed=0, num_seeds=len(seeds), image_format='jpg', num_id_classes=1000,
                      data_root=self.path(id_root), ann_file='meta/train.txt', k=50,
                      vocabulary='imagenet_1k', neg_labels=neg_labels, synood={})
        write_manifest(out, len(seeds), header, 'jpg')

    def neg_labels(self, rel: str) -> int:
        """A negative-label file of ``num_neg_labels`` labels (nouns, then adjectives, as
        ``tools/ood/mine_neg_labels.py`` writes; CSP files also get their conjugated
        superclass labels). Returns the number of labels."""
        target = self.path(rel)
        n = self.num_neg_labels
        if not osp.isfile(target):
            words = wordnet_words(n)
            n_adj = n // 10
            lines = [f'noun\t{w}\n' for w in words[:n - n_adj]]
            lines += [f'adj\t{w}y\n' for w in words[n - n_adj:n]]
            if 'csp' in osp.basename(rel):
                lines += [f'csp\t{w} animal\n' for w in words[:max(n // 100, 4)]]
            os.makedirs(osp.dirname(target), exist_ok=True)
            write_text_atomic(''.join(lines), target)
        return n


def wordnet_words(n: int) -> List[str]:
    """``n`` distinct noun lemmas from the machine's WordNet (``make install`` puts it there),
    else made-up words: what matters to the check is their number and that they tokenize."""
    words = []
    for path in ('/usr/share/wordnet/data.noun',
                 osp.join(os.environ.get('WNHOME', ''), 'dict', 'data.noun')):
        if osp.isfile(path):
            seen = set()
            with open(path, encoding='latin-1') as f:
                for line in f:
                    if line.startswith(' ') or len(line.split()) < 5:
                        continue
                    w = line.split()[4].replace('_', ' ').lower()
                    if w.isascii() and w not in seen:
                        seen.add(w)
                        words.append(w)
                    if len(words) >= n:
                        return words
            break
    words += [f'thing{i}' for i in range(len(words), n)]
    return words[:n]


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
        writer._write_ImageNet(dict(data_root=sd.data_root, split='train'))
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
