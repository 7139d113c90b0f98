"""In-distribution seed selection (SynOOD §3.4): per class, the ``k`` images with the most JPEG
bytes per pixel (``file size / (W * H)``), a proxy for how much an image holds (k = 50)."""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from PIL import Image

from mmopen.utils.sharded_writer import Seed


def bytes_per_pixel(path: str) -> float:
    """File size over ``W * H`` (read from the header; the image is not decoded)."""
    with Image.open(path) as img:
        w, h = img.size
    return osp.getsize(path) / float(w * h)


def select_seeds(samples: Sequence[Tuple[str, int]], k: int = 50,
                 data_root: str = '') -> List[Seed]:
    """The ``k`` most complex images of every class of ``samples`` (``(path, label)``; paths
    relative to ``data_root``), most complex first within a class, classes in label order; ties
    are broken by path, so the choice is deterministic."""
    if k < 1:
        raise ValueError(f'k={k}: select at least one seed image per class.')
    if not samples:
        raise ValueError(f'The seed list is empty (data root {data_root!r}): SynOOD needs '
                         'in-distribution images to start from; check the annotation file.')
    by_class: Dict[int, List[Seed]] = defaultdict(list)
    for path, label in samples:
        full = osp.join(data_root, path) if data_root else path
        if not osp.isfile(full):
            raise FileNotFoundError(f'Seed image {full!r} does not exist.')
        by_class[int(label)].append(Seed(path, int(label), bytes_per_pixel(full)))
    out = []
    for label in sorted(by_class):
        ranked = sorted(by_class[label], key=lambda s: (-s.complexity, s.path))
        out.extend(ranked[:k])
    return out


def read_image_list(ann_file: str, data_prefix: str = '') -> List[Tuple[str, int]]:
    """mmpretrain's list format (``"<path> <label>"`` per line) -> ``(prefix/path, label)``."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'Seed annotation file {ann_file!r} does not exist.')
    out = []
    with open(ann_file) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise ValueError(f'{ann_file}:{n}: expected "<image path> <label>", got '
                                 f'{line.strip()!r}.')
            out.append((osp.join(data_prefix, parts[0]) if data_prefix else parts[0],
                        int(parts[1])))
    return out
