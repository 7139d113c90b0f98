"""Write the synthetic quickstart data sets in real on-disk layouts.

Segmentation (mmseg ADE20K layout, labels 1..C with 0 = unlabelled, ``reduce_zero_label``)::

    OUT/seg/images/{training,validation}/qs_000000.jpg
    OUT/seg/annotations/{training,validation}/qs_000000.png
    OUT/seg/classes.txt          every annotated class (names with synonyms), label order
    OUT/seg/classes_seen.txt     the classes open-vocabulary models train on
    OUT/seg/classes_unseen.txt   the classes held out from their training

Classification, ID and OOD (ImageNet layout: class folders named by WordNet id, list files)::

    OUT/cls/imagenet/{train,val}/<wnid>/<wnid>_000000.JPEG
    OUT/cls/imagenet/meta/{train,val}.txt     "<wnid>/<file> <label>" per line
    OUT/cls/imagenet/meta/classes.txt         class names, index order (ImageNet-1k names)
    OUT/cls/imagenet/meta/context_captions.jsonl  each image's context elements, its object
                                              left out ({"image": "train/<wnid>/<file>",
                                              "caption": "kite, grass"}), standing in for
                                              SynOOD's MLLM
    OUT/cls/ood/<set>/images/<set>_000000.jpg
    OUT/cls/ood/<set>/list.txt                "images/<file>" per line

Classes are learnable: each is a shape with its own colour on a textured background (for
segmentation, the backgrounds are classes too). Every image, segmentation or classification, is
drawn on the same three backgrounds (``wall``: grey stripes, ``grass``: green noise, ``floor``:
brown checker; classification jitters their colour), so the far-OOD ``textures`` set is the ID
images' scenes without their objects. The near-OOD ``shapes`` set shows crosses and diamonds;
SynOOD's context prompts name, besides each ID image's scene, one of the two context objects
(:data:`CONTEXT_OBJECTS`: ``kite``, a magenta diamond that shares its colour with an ID class,
and ``tire``, an orange ring that shares its shape with one), so that the images it synthesises
replace the object with a near-OOD object in the same scene, as the paper's. Two segmentation
classes (``kite``, a magenta diamond, and ``tire``, an orange ring) are *unseen*: open-vocabulary
models train on the 6 seen classes only
(``VocabSegDataset(vocabulary=classes_seen.txt, annotation_vocabulary=classes.txt)``
ignores the unseen pixels) and are then evaluated over all classes, which measures what they
recognise without having been trained on it. The tiny quickstart CLIP is pre-trained on all
classes, as a real CLIP has seen far more than any segmentation training set.

The open world for zero-shot OOD detection (``OUT/world``: named objects and scenes, ID /
near-OOD / far-OOD sets at 96 px, the lexicon in WordNet's file format) is
:mod:`mmopen.quickstart.ood_world`'s (``world_id=0``: none is written, and the tiny CLIP is
pre-trained without it).

Everything is drawn from a fixed seed, so two runs write the same bytes. The data is written to
a temporary folder and renamed into place; a complete data set with the same parameters
(``OUT/manifest.json``) is left as it is. ``tools/misc/make_quickstart_data.py`` is the command
line of :func:`write_quickstart_data`.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from mmopen.clip.vocabularies import class_names
from mmopen.utils.io import atomic_path
from .drawing import paint, shape_mask, texture, to_uint8
from .ood_world import write_ood_world

FORMAT_VERSION = 5

# Segmentation: (vocabulary line, kind, RGB). Backgrounds are textures, objects are shapes.
SEG_BACKGROUNDS: List[Tuple[str, str, Tuple[int, int, int]]] = [
    ('wall, walls, brick wall, stone wall, interior wall', 'stripes', (150, 150, 160)),
    ('grass, grass field', 'noise', (60, 150, 50)),
    ('floor, flooring', 'checker', (150, 105, 70)),
]
SEG_OBJECTS: List[Tuple[str, str, Tuple[int, int, int]]] = [
    ('ball, balls', 'circle', (220, 40, 40)),
    ('box, boxes', 'square', (40, 70, 220)),
    ('tent, collapsible shelter', 'triangle', (230, 200, 40)),
    ('kite', 'diamond', (200, 60, 200)),
    ('tire, tyre', 'ring', (240, 140, 30)),
]
SEG_CLASSES = SEG_BACKGROUNDS + SEG_OBJECTS  # label k + 1 is SEG_CLASSES[k]
SEG_UNSEEN = ('kite', 'tire, tyre')
# SynOOD's context elements: objects of this world that stand in a scene and are no ID class
# of the classification set, each sharing a shape or a colour with one (near OOD): the
# segmentation set's two unseen objects. An ID image's context names one of them with its scene
# ("kite, grass"), as an MLLM lists the elements around a photo's subject.
CONTEXT_OBJECTS = [c for c in SEG_OBJECTS if c[0] in SEG_UNSEEN]

# Classification ID classes: (WordNet id, ImageNet-1k index, shape, RGB).
CLS_CLASSES: List[Tuple[str, int, str, Tuple[int, int, int]]] = [
    ('n01440764', 0, 'circle', (220, 40, 40)),
    ('n01443537', 1, 'square', (40, 70, 220)),
    ('n01484850', 2, 'triangle', (230, 200, 40)),
    ('n01491361', 3, 'ring', (40, 200, 200)),
    ('n01494475', 4, 'bar', (200, 60, 200)),
]
# OOD sets: 'textures' (backgrounds only, far OOD), 'shapes' (unseen shapes/colours, near OOD).
OOD_SETS = ('textures', 'shapes')


def make_seg_sample(rng: np.random.Generator, size: int) -> Tuple[np.ndarray, np.ndarray]:
    n_bg = len(SEG_BACKGROUNDS)
    bg = int(rng.integers(0, n_bg))
    _, kind, rgb = SEG_BACKGROUNDS[bg]
    img = texture(rng, size, kind, rgb)
    label = np.full((size, size), bg + 1, np.uint8)
    if rng.random() < 0.5:  # a second background region: left/right split
        other = (bg + 1 + int(rng.integers(0, n_bg - 1))) % n_bg
        split = int(rng.integers(size // 4, 3 * size // 4))
        _, kind2, rgb2 = SEG_BACKGROUNDS[other]
        img[:, split:] = texture(rng, size, kind2, rgb2)[:, split:]
        label[:, split:] = other + 1
    for _ in range(int(rng.integers(1, 4))):
        obj = int(rng.integers(0, len(SEG_OBJECTS)))
        _, shape, rgb = SEG_OBJECTS[obj]
        mask = shape_mask(rng, size, shape, (0.12, 0.25))
        paint(img, mask, rgb, rng)
        label[mask] = n_bg + obj + 1
    return to_uint8(img), label


def background(rng: np.random.Generator, size: int, which: Optional[int] = None) -> np.ndarray:
    """Segmentation background ``which`` (default: a random one): its texture, its colour
    jittered by up to 25."""
    if which is None:
        which = int(rng.integers(0, len(SEG_BACKGROUNDS)))
    _, kind, base = SEG_BACKGROUNDS[which]
    rgb = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in base)
    return texture(rng, size, kind, rgb)


def make_cls_sample(rng: np.random.Generator, size: int, shape: str,
                    rgb: Tuple[int, int, int], return_background: bool = False):
    """A class's shape on a random background; with ``return_background``, also the
    background's index in :data:`SEG_BACKGROUNDS`."""
    which = int(rng.integers(0, len(SEG_BACKGROUNDS)))
    img = background(rng, size, which)
    paint(img, shape_mask(rng, size, shape, (0.25, 0.4)), rgb, rng)
    img = to_uint8(img)
    return (img, which) if return_background else img


def context_caption(index: int, which_background: int) -> str:
    """The context of the ``index``-th ID image drawn on background ``which_background``: a
    context object (alternating) and the scene, e.g. ``"kite, grass"``."""
    obj = CONTEXT_OBJECTS[index % len(CONTEXT_OBJECTS)][0].split(',')[0]
    return f'{obj}, {SEG_BACKGROUNDS[which_background][0].split(",")[0]}'


def context_scene(rng: np.random.Generator, size: int, index: int, which_background: int
                  ) -> np.ndarray:
    """An image of what :func:`context_caption` names: its context object, at an ID object's
    size, on its scene (the colours jittered as the ID images')."""
    _, shape, rgb = CONTEXT_OBJECTS[index % len(CONTEXT_OBJECTS)]
    img = background(rng, size, which_background)
    paint(img, shape_mask(rng, size, shape, (0.25, 0.4)), rgb, rng)
    return to_uint8(img)


def write_seg(root: str, rng: np.random.Generator, size: int, counts: Dict[str, int]) -> None:
    for split, n in counts.items():
        os.makedirs(osp.join(root, 'images', split))
        os.makedirs(osp.join(root, 'annotations', split))
        for i in range(n):
            img, label = make_seg_sample(rng, size)
            Image.fromarray(img).save(osp.join(root, 'images', split, f'qs_{i:06d}.jpg'),
                                      quality=95)
            Image.fromarray(label).save(osp.join(root, 'annotations', split, f'qs_{i:06d}.png'))
    files = dict(classes=[c[0] for c in SEG_CLASSES],
                 classes_seen=[c[0] for c in SEG_CLASSES if c[0] not in SEG_UNSEEN],
                 classes_unseen=list(SEG_UNSEEN))
    for name, lines in files.items():
        with open(osp.join(root, f'{name}.txt'), 'w') as f:
            f.write(''.join(f'{line}\n' for line in lines))


def write_cls(root: str, rng: np.random.Generator, size: int, counts: Dict[str, int],
              ood_count: int) -> None:
    names = class_names('imagenet_1k')
    base = osp.join(root, 'imagenet')
    os.makedirs(osp.join(base, 'meta'))
    captions = []
    for split, n in counts.items():
        lines = []
        for label, (wnid, _, shape, rgb) in enumerate(CLS_CLASSES):
            os.makedirs(osp.join(base, split, wnid))
            for i in range(n):
                fname = f'{wnid}_{i:06d}.JPEG'
                img, which = make_cls_sample(rng, size, shape, rgb, return_background=True)
                Image.fromarray(img).save(osp.join(base, split, wnid, fname), format='JPEG',
                                          quality=95)
                lines.append(f'{wnid}/{fname} {label}\n')
                captions.append(dict(image=f'{split}/{wnid}/{fname}',
                                     caption=context_caption(i, which)))
        with open(osp.join(base, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(lines)
    # what an MLLM would list around each image's object: a context object and the scene
    # (SynOOD's context prompts)
    with open(osp.join(base, 'meta', 'context_captions.jsonl'), 'w') as f:
        f.writelines(json.dumps(c) + '\n' for c in captions)
    with open(osp.join(base, 'meta', 'classes.txt'), 'w') as f:
        f.writelines(f'{names[idx]}\n' for _, idx, _, _ in CLS_CLASSES)
    for name in OOD_SETS:
        folder = osp.join(root, 'ood', name)
        os.makedirs(osp.join(folder, 'images'))
        lines = []
        for i in range(ood_count):
            if name == 'textures':
                img = to_uint8(background(rng, size))
            else:
                shape = ('cross', 'diamond')[i % 2]
                rgb = tuple(int(v) for v in rng.integers(40, 220, 3))
                img = make_cls_sample(rng, size, shape, rgb)
            fname = f'{name}_{i:06d}.jpg'
            Image.fromarray(img).save(osp.join(folder, 'images', fname), quality=95)
            lines.append(f'images/{fname}\n')
        with open(osp.join(folder, 'list.txt'), 'w') as f:
            f.writelines(lines)


DEFAULTS = dict(seg_size=128, cls_size=32, seg_train=160, seg_val=32, cls_train=32, cls_val=16,
                ood=48, world_size=96, world_id=16, world_ood=64, seed=0)


def write_quickstart_data(out: str, force: bool = False, log=print, **params) -> bool:
    """Write the quickstart data to ``out`` (see the module docstring); ``params`` override
    :data:`DEFAULTS` (image sizes, images per split and class, OOD images per set, seed).
    Returns ``False`` when a complete data set with the same parameters is already there
    (nothing is written), ``True`` after writing. Raises ``FileExistsError`` when ``out``
    holds data folders this function did not finish writing (no ``manifest.json``) and
    ``force`` is not set."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f'Unknown quickstart data parameters {sorted(unknown)}; known: '
                        f'{sorted(DEFAULTS)}.')
    params = dict(DEFAULTS, **params)
    manifest = dict(version=FORMAT_VERSION, **params)
    manifest_path = osp.join(out, 'manifest.json')
    if osp.isfile(manifest_path) and not force:
        with open(manifest_path) as f:
            if json.load(f) == manifest:
                log(f'{out}: quickstart data already present (same parameters), nothing to do.')
                return False
    # Only ever replace folders this function finished writing (they come with manifest.json).
    unfinished = [sub for sub in ('seg', 'cls', 'world') if osp.exists(osp.join(out, sub))]
    if unfinished and not osp.isfile(manifest_path) and not force:
        raise FileExistsError(f'{out} holds {unfinished} folders the quickstart data writer did '
                              'not finish writing (no manifest.json); remove them or pass '
                              '--force.')
    if osp.isfile(manifest_path):
        os.remove(manifest_path)  # the folders below are replaced one by one
    rng = np.random.default_rng(params['seed'])
    log(f'Writing segmentation data ({params["seg_train"]} + {params["seg_val"]} images) ...')
    with atomic_path(osp.join(out, 'seg'), is_dir=True) as tmp:
        write_seg(tmp, rng, params['seg_size'],
                  {'training': params['seg_train'], 'validation': params['seg_val']})
    log(f'Writing classification ID/OOD data ({len(CLS_CLASSES)} classes) ...')
    with atomic_path(osp.join(out, 'cls'), is_dir=True) as tmp:
        write_cls(tmp, rng, params['cls_size'],
                  {'train': params['cls_train'], 'val': params['cls_val']}, params['ood'])
    if params['world_id'] > 0:
        log('Writing the open world for zero-shot OOD detection (ID, near-OOD, far-OOD, '
            'lexicon) ...')
        with atomic_path(osp.join(out, 'world'), is_dir=True) as tmp:
            write_ood_world(tmp, params['seed'], size=params['world_size'],
                            id_per_class=params['world_id'], ood_per_set=params['world_ood'])
    elif osp.isdir(osp.join(out, 'world')):
        shutil.rmtree(osp.join(out, 'world'))
    with atomic_path(manifest_path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(manifest, f, indent=1)
    log(f'Quickstart data written to {out}')
    return True
