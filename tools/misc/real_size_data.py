"""The real-size check's synthetic data: a few samples written in the on-disk layout each
dataset type of the configs reads (:data:`LAYOUTS`), negative-label files and SynOOD manifests
(``tools/misc/real_size.py``)."""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ood.synood.generator import SynOODSample
from mmopen.ood.synood.manifest import synood_record
from mmopen.osdg.benchmarks import load_osdg_benchmark
from mmopen.utils.io import write_text_atomic
from mmopen.utils.sharded_writer import Seed, generate_shard, write_manifest

# Negative labels written for the OOD configs: the paper's M = 10,000 (NegLabel, Sec. 4.1).
NUM_NEG_LABELS = 10000


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
        writer = LAYOUTS.get(kind)
        if writer is None:
            raise NotImplementedError(
                f'check_configs has no synthetic-data writer for dataset type {kind!r}: add '
                f'one to LAYOUTS in {__file__}.')
        writer(self, ds)

    # ---- segmentation
    def _vocab_seg(self, ds: dict) -> None:
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

    def _imagenet(self, ds: dict) -> None:
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

    def _custom(self, ds: dict) -> None:
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

    def _image_list(self, ds: dict) -> None:
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

    def _ood_benchmark(self, ds: dict) -> None:
        self.write(ds['id_dataset'])
        for sub in ds['ood_datasets'].values():
            if isinstance(sub, dict) and 'type' in sub:
                self.write(sub)

    def _few_shot(self, ds: dict) -> None:
        self.write(ds['dataset'])

    # ---- open-set domain generalisation
    def _osdg(self, ds: dict) -> None:
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
            self._pseudo_unknowns(pseudo, [d for d in bench.domains
                                                 if d != ds.get('target_domain')])

    def _pseudo_unknowns(self, out: str, domains: Sequence[str]) -> None:
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
    def _synood(self, ds: dict) -> None:
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
        self._imagenet(dict(data_root=id_root, split='train'))
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


# dataset type -> the method writing its on-disk layout
LAYOUTS = {
    'VocabSegDataset': DataWriter._vocab_seg,
    'ImageNet': DataWriter._imagenet,
    'CustomDataset': DataWriter._custom,
    'ImageListDataset': DataWriter._image_list,
    'OODBenchmarkDataset': DataWriter._ood_benchmark,
    'FewShotDataset': DataWriter._few_shot,
    'OSDGDataset': DataWriter._osdg,
    'SynOODDataset': DataWriter._synood,
}


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
