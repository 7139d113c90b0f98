"""The quickstart's open world for zero-shot OOD detection: named concepts, a lexicon, images.

A real CLIP has seen captions of far more concepts than any ID label set, and NegLabel, CSP and
AdaNeg rely on exactly that: negative words the model can read, whose images the OOD samples
resemble. This world gives the tiny quickstart CLIP the same situation on a small scale:

* **Objects** (nouns), each a shape in a colour: 6 ID classes (``ball``, ``box``, ``tent``,
  ``kite``, ``tire``, ``plank``), 6 *near-OOD* concepts that share a shape with one ID class and
  a colour with another (``coin``: a yellow disc, the ball's shape in the tent's colour; ...), and
  5 *far-OOD* concepts with shapes and colours no ID class has (``star``, ``moon``, ...).
* **Scenes** (nouns): the ID scenes ``wall``, ``grass``, ``floor`` (the segmentation data's
  backgrounds) and the far scenes ``sand``, ``water``, ``snow``.
* **Adjectives**: the colours (``red``, ``yellow``, ...) and the texture words (``striped``,
  ``grainy``, ``checkered``).
* **Superclasses**: CSP's 14 superclass words (``object``, ``scene``, ``pattern``, ...), each
  standing for the objects or for the scenes (:data:`SUPERCLASS_OF`). The captions use them
  (``"a red object"``), so CSP's conjugated labels mean something to the model; the lexicon
  leaves them out: with 23 nouns, a word true of every ID image (``"object"``) would be a
  twentieth of NegLabel's pool, where in WordNet it is one word among 10,000.

Images are ``size`` pixels (96 by default: the tiny ConvNeXt's last stage then has 3 x 3
positions) with one object on part of a scene, so a model's local features see object and scene
apart (what GL-MCM's local term needs). The evaluation sets: ID (ID objects on ID scenes),
``near`` (near-OOD objects on ID scenes: the scene and one attribute are shared with ID images)
and ``far`` (far-OOD objects on the far scenes). The tiny CLIP is pre-trained on captions of
*every* concept (:func:`pretraining_images`, :func:`describe`); the ID / OOD split is made only
at evaluation. The lexicon is written in WordNet 3.0's data-file format (``data.noun``,
``data.adj``), so ``tools/ood/mine_neg_labels.py --wordnet-dir`` mines NegLabel's and CSP's
pools from it exactly as from WordNet.

Layout (under ``OUT``; :func:`write_ood_world`)::

    OUT/id/val/<class>/<class>_000000.jpg   ID images (mmpretrain CustomDataset)
    OUT/id/meta/val.txt                     "<class>/<file> <label>" per line
    OUT/id/meta/classes.txt                 the ID class names, label order
    OUT/ood/{near,far}/images/*.jpg + list.txt
    OUT/lexicon/data.noun, data.adj         the world's words (WordNet data-file format)
    OUT/world.json                          every concept with its split and attributes
"""
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .drawing import paint, shape_mask, texture, to_uint8

COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (220, 40, 40), 'blue': (40, 70, 220), 'yellow': (230, 200, 40),
    'purple': (200, 60, 200), 'orange': (240, 140, 30), 'cyan': (40, 200, 200),
    'white': (240, 240, 240), 'black': (25, 25, 25), 'pink': (250, 150, 190),
    'green': (60, 190, 80)}
# (noun, shape, colour, split)
OBJECTS: List[Tuple[str, str, str, str]] = [
    ('ball', 'circle', 'red', 'id'), ('box', 'square', 'blue', 'id'),
    ('tent', 'triangle', 'yellow', 'id'), ('kite', 'diamond', 'purple', 'id'),
    ('tire', 'ring', 'orange', 'id'), ('plank', 'bar', 'cyan', 'id'),
    ('coin', 'circle', 'yellow', 'near'), ('crate', 'square', 'orange', 'near'),
    ('pyramid', 'triangle', 'blue', 'near'), ('gem', 'diamond', 'cyan', 'near'),
    ('donut', 'ring', 'purple', 'near'), ('brick', 'bar', 'red', 'near'),
    ('star', 'star', 'white', 'far'), ('moon', 'crescent', 'pink', 'far'),
    ('cross', 'cross', 'black', 'far'), ('nut', 'hexagon', 'green', 'far'),
    ('egg', 'ellipse', 'white', 'far')]
# (noun, texture kind, RGB, texture adjective, split)
SCENES: List[Tuple[str, str, Tuple[int, int, int], str, str]] = [
    ('wall', 'stripes', (150, 150, 160), 'striped', 'id'),
    ('grass', 'noise', (60, 150, 50), 'grainy', 'id'),
    ('floor', 'checker', (150, 105, 70), 'checkered', 'id'),
    ('sand', 'noise', (215, 190, 130), 'grainy', 'far'),
    ('water', 'stripes', (40, 90, 170), 'striped', 'far'),
    ('snow', 'checker', (225, 230, 240), 'checkered', 'far')]
# CSP's superclass words (mmopen.ood.csp.CSP_SUPERCLASSES) and what each names in this world
SUPERCLASS_OF: Dict[str, str] = {
    'object': 'object', 'item': 'object', 'thing': 'object', 'structure': 'object',
    'creature': 'object', 'environment': 'scene', 'space': 'scene', 'scene': 'scene',
    'place': 'scene', 'area': 'scene', 'view': 'scene', 'pattern': 'scene',
    'landscape': 'scene', 'vista': 'scene'}
OBJECT_SCALE = (0.18, 0.32)  # object radius, fraction of the image side
FORMAT_VERSION = 1


class Sample(NamedTuple):
    """One drawn image and what it shows (``obj`` is ``None`` for a scene alone)."""
    image: np.ndarray
    obj: Optional[str]
    scene: str


def objects(split: Optional[str] = None) -> List[str]:
    return [o[0] for o in OBJECTS if split is None or o[3] == split]


def scenes(split: Optional[str] = None) -> List[str]:
    return [s[0] for s in SCENES if split is None or s[4] == split]


def nouns() -> List[str]:
    """The lexicon's nouns: every object and scene (not the superclass words)."""
    return objects() + scenes()


def adjectives() -> List[str]:
    """The lexicon's adjectives: the colours and the texture words."""
    textures = list(dict.fromkeys(s[3] for s in SCENES))
    return list(COLOURS) + textures


def draw(rng: np.random.Generator, size: int, obj: Optional[str], scene: str) -> Sample:
    """``obj`` (or nothing) on part of ``scene``: the scene's texture with its colour jittered
    by up to 25, the object's colour by the painter's noise."""
    _, kind, base, _, _ = SCENES[scenes().index(scene)]
    rgb = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in base)
    img = texture(rng, size, kind, rgb)
    if obj is not None:
        _, shape, colour, _ = OBJECTS[objects().index(obj)]
        paint(img, shape_mask(rng, size, shape, OBJECT_SCALE), COLOURS[colour], rng)
    return Sample(to_uint8(img), obj, scene)


def attributes(sample: Sample) -> Tuple[set, set]:
    """``(heads, adjectives)`` of what ``sample`` shows, as a caption names it: its object if
    it has one (the noun, the object superclasses, its colour), otherwise its scene (the
    noun, the scene superclasses, its texture word). A caption of an object image does not name
    its background (web captions name the salient thing), so ``"grass"`` is *false* of a ball on
    grass; pre-training on that teaches the towers to look at the object, which a tiny tower at
    128 px otherwise learns several times slower."""
    if sample.obj is None:
        return ({sample.scene} | {w for w, what in SUPERCLASS_OF.items() if what == 'scene'},
                {SCENES[scenes().index(sample.scene)][3]})
    return ({sample.obj} | {w for w, what in SUPERCLASS_OF.items() if what == 'object'},
            {OBJECTS[objects().index(sample.obj)][2]})


def descriptions() -> List[str]:
    """Every phrase the pre-training captions use: a noun, an adjective alone (``"red"``,
    captioned ``"a red photo"``) and every adjective + noun."""
    heads, adjs = nouns() + list(SUPERCLASS_OF), adjectives()
    return heads + adjs + [f'{a} {h}' for a in adjs for h in heads]


def matches(sample: Sample, description: str) -> bool:
    """Whether ``description`` (a phrase of :func:`descriptions`) is true of ``sample``: every
    word is one of its heads or adjectives, with at most one adjective and one head
    (``"red ball"``, ``"red object"``, ``"red"``; of a scene alone, ``"grainy grass"``)."""
    heads, adjs = attributes(sample)
    words = description.split(' ')
    if len(words) == 1:
        return words[0] in heads or words[0] in adjs
    return words[0] in adjs and words[1] in heads


def sample_description(rng: np.random.Generator, sample: Sample) -> str:
    """A true phrase about ``sample``, as a caption would say it: mostly its object's (or scene's)
    noun, half the time with an adjective; sometimes a superclass or an adjective alone."""
    heads, adjs = attributes(sample)
    name = sample.obj if sample.obj is not None else sample.scene
    r = rng.random()
    if r < 0.05:
        return str(rng.choice(sorted(adjs)))
    head = name if r < 0.8 else str(rng.choice(sorted(heads - {name})))
    if rng.random() < 0.5:
        return f'{rng.choice(sorted(adjs))} {head}'
    return head


def pretraining_images(seed: int, size: int, per_pair: int = 3,
                       scene_only: int = 12) -> List[Sample]:
    """Images of every concept for pre-training (drawn from ``seed``; the tiny CLIP's chain uses
    the world's seed + 1000, so none is an evaluation image): ``per_pair`` images of each object on
    each scene and ``scene_only`` of each scene alone."""
    rng = np.random.default_rng(seed)
    out = [draw(rng, size, o, s) for o in objects() for s in scenes() for _ in range(per_pair)]
    out += [draw(rng, size, None, s) for s in scenes() for _ in range(scene_only)]
    return out


def _write_wordnet_file(path: str, words: Sequence[str], ss_type: str, lex_filenum: int,
                        gloss: Dict[str, str]) -> None:
    """WordNet 3.0 ``data.<pos>`` lines (``wndb(5)``): each word its own synset, the byte
    offset of its line as the synset offset, no pointers."""
    header = ('  1 This lexicon is the mmopen quickstart world\'s, in the format of WordNet 3.0\'s'
              ' data files.\n')
    lines, offset = [header], len(header.encode())
    for word in words:
        line = (f'{offset:08d} {lex_filenum:02d} {ss_type} 01 {word.replace(" ", "_")} 0 000 | '
                f'{gloss[word]}  \n')
        lines.append(line)
        offset += len(line.encode())
    with open(path, 'w') as f:
        f.writelines(lines)


def glosses() -> Dict[str, str]:
    g = {}
    for noun, shape, colour, _ in OBJECTS:
        g[noun] = f'a {colour} {shape}'
    for noun, kind, _, adj, _ in SCENES:
        g[noun] = f'a {adj} ground or background ({kind})'
    for word in COLOURS:
        g[word] = f'of the colour {word}'
    for noun, kind, _, adj, _ in SCENES:
        g[adj] = f'textured with {kind}'
    return g


def write_lexicon(folder: str) -> None:
    """The world's nouns and adjectives as WordNet ``data.noun`` / ``data.adj``."""
    os.makedirs(folder, exist_ok=True)
    g = glosses()
    _write_wordnet_file(osp.join(folder, 'data.noun'), nouns(), 'n', 5, g)
    _write_wordnet_file(osp.join(folder, 'data.adj'), adjectives(), 'a', 0, g)


def write_ood_world(out: str, seed: int, size: int = 96, id_per_class: int = 16,
                    ood_per_set: int = 64) -> None:
    """Write the evaluation sets and the lexicon into the (new, empty) folder ``out``."""
    rng = np.random.default_rng([seed, 19])
    id_classes, id_scenes = objects('id'), scenes('id')
    os.makedirs(osp.join(out, 'id', 'meta'))
    lines = []
    for label, name in enumerate(id_classes):
        os.makedirs(osp.join(out, 'id', 'val', name))
        for i in range(id_per_class):
            sample = draw(rng, size, name, id_scenes[int(rng.integers(len(id_scenes)))])
            fname = f'{name}_{i:06d}.jpg'
            Image.fromarray(sample.image).save(osp.join(out, 'id', 'val', name, fname),
                                               quality=95)
            lines.append(f'{name}/{fname} {label}\n')
    with open(osp.join(out, 'id', 'meta', 'val.txt'), 'w') as f:
        f.writelines(lines)
    with open(osp.join(out, 'id', 'meta', 'classes.txt'), 'w') as f:
        f.writelines(f'{name}\n' for name in id_classes)
    for name, objs, scns in (('near', objects('near'), id_scenes),
                             ('far', objects('far'), scenes('far'))):
        folder = osp.join(out, 'ood', name)
        os.makedirs(osp.join(folder, 'images'))
        lines = []
        for i in range(ood_per_set):
            sample = draw(rng, size, objs[i % len(objs)], scns[int(rng.integers(len(scns)))])
            fname = f'{name}_{i:06d}.jpg'
            Image.fromarray(sample.image).save(osp.join(folder, 'images', fname), quality=95)
            lines.append(f'images/{fname}\n')
        with open(osp.join(folder, 'list.txt'), 'w') as f:
            f.writelines(lines)
    write_lexicon(osp.join(out, 'lexicon'))
    world = dict(version=FORMAT_VERSION, seed=seed, size=size,
                 objects=[dict(noun=n, shape=s, colour=c, split=sp) for n, s, c, sp in OBJECTS],
                 scenes=[dict(noun=n, texture=k, adjective=a, split=sp)
                         for n, k, _, a, sp in SCENES],
                 superclasses=SUPERCLASS_OF)
    with open(osp.join(out, 'world.json'), 'w') as f:
        json.dump(world, f, indent=1)
