"""The synthetic open-set domain generalisation quickstart: the quickstart shapes in four
rendering styles (domains), in the folder layout of PACS::

    OUT/<domain>/<class>/<domain>_<class>_0000.jpg
    OUT/benchmark.json     the class split (an OSDG benchmark file, like the shipped ones)
    OUT/manifest.json      what was written (parameters, format version)

Domains: ``photo`` (the quickstart's textured backgrounds, filled shapes with noise),
``painting`` (smooth colour gradients, hue-shifted blurred shapes with brush strokes),
``sketch`` (dark two-pixel outlines on paper, no colour) and ``cartoon`` (flat backgrounds, flat
shapes with a thick black outline). Classes: ``circle``, ``square``, ``triangle``, ``bar`` are
known; ``cross`` and ``diamond`` are unknown -- near the known ones (a cross is two bars, a
diamond a turned square). The quickstart trains on ``photo``, ``painting`` and ``sketch``
(known classes only) and tests on ``cartoon`` (all classes), the held-out style.

:func:`world` draws *other* images of the same world (all styles, all classes and two shapes no
benchmark class is, ``ring`` and ``hexagon``, from another seed) to pre-train the tiny CLIP ViT
(:func:`mmopen.quickstart.tiny_pretrain.osdg_pairs`) and the tiny inpainting model
(:func:`osdg_inpaint_pairs`), as real CLIP and diffusion weights have seen cartoons, crosses,
diamonds and much else before anyone fine-tunes them. The inpainting model's captions name the
class (``"A sketch image of a cross"``) or, for a third of the images, only the generic word
(``"A sketch image of a shape"``), as web captions often do: that generic prompt with the known
classes as negative prompt is how the quickstart asks it for "some shape that is not a known
one" (a real Stable Diffusion reads "an unknown class" that way). Everything is drawn from fixed
seeds; the data is written to a temporary folder and renamed into place.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image, ImageFilter

from mmopen.utils.io import atomic_path
from .drawing import shape_mask, texture, to_uint8
from .quickstart_data import SEG_BACKGROUNDS

FORMAT_VERSION = 2
DOMAINS = ('photo', 'painting', 'sketch', 'cartoon')
TARGET = 'cartoon'
# (class, shape, RGB)
CLASSES: List[Tuple[str, str, Tuple[int, int, int]]] = [
    ('circle', 'circle', (220, 40, 40)),
    ('square', 'square', (40, 70, 220)),
    ('triangle', 'triangle', (230, 200, 40)),
    ('bar', 'bar', (200, 60, 200)),
    ('cross', 'cross', (40, 170, 60)),
    ('diamond', 'diamond', (40, 200, 200)),
]
KNOWN = ('circle', 'square', 'triangle', 'bar')
UNKNOWN = ('cross', 'diamond')
# shapes of the world that no benchmark class is: the tiny models' pre-training sees them
WORLD_ONLY: List[Tuple[str, str, Tuple[int, int, int]]] = [
    ('ring', 'ring', (240, 140, 30)),
    ('hexagon', 'hexagon', (140, 90, 40)),
]
GENERIC_WORD = 'shape'  # what a caption says when it does not name the shape
DEFAULTS = dict(size=32, per_class=20, seed=0)
PRETRAIN_SEED_OFFSET = 1000


def _outline(mask: np.ndarray, width: int = 1) -> np.ndarray:
    """The mask's pixels within ``width`` 4-neighbour steps of its outside (an inner outline)."""
    inner = mask
    for _ in range(width):
        pad = np.pad(inner, 1)
        inner = pad[:-2, 1:-1] & pad[2:, 1:-1] & pad[1:-1, :-2] & pad[1:-1, 2:]
    return mask & ~inner


def render(rng: np.random.Generator, size: int, domain: str, shape: str,
           rgb: Tuple[int, int, int]) -> np.ndarray:
    """One image of ``shape`` in ``domain``'s style (``size x size x 3`` uint8)."""
    mask = shape_mask(rng, size, shape, (0.25, 0.4))
    colour = np.array(rgb, np.float32)
    if domain == 'photo':
        _, kind, base = SEG_BACKGROUNDS[int(rng.integers(0, len(SEG_BACKGROUNDS)))]
        img = texture(rng, size, kind, tuple(int(c + rng.integers(-25, 26)) for c in base))
        img[mask] = colour + rng.normal(0, 12, 3) + rng.normal(0, 8, (int(mask.sum()), 3))
        return to_uint8(img)
    if domain == 'painting':
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
        c0, c1 = rng.uniform(60, 200, 3), rng.uniform(60, 200, 3)
        t = (yy * rng.uniform(0, 1) + xx * rng.uniform(0, 1))[..., None]
        img = c0 * (1 - t) + c1 * t
        shifted = np.roll(colour, int(rng.integers(0, 2)))  # channel shift: hue change
        img[mask] = 0.7 * shifted + 0.3 * colour + rng.normal(0, 15, 3)
        for _ in range(int(rng.integers(3, 7))):  # brush strokes
            y = int(rng.integers(0, size))
            img[y:y + 2, :] += rng.normal(0, 25, 3)
        out = Image.fromarray(to_uint8(img)).filter(ImageFilter.GaussianBlur(0.8))
        return np.asarray(out)
    if domain == 'sketch':
        paper = rng.uniform(215, 250)
        img = np.full((size, size, 3), paper, np.float32) + rng.normal(0, 4, (size, size, 1))
        edge = _outline(mask, 2)
        img[edge] = rng.uniform(20, 70) + rng.normal(0, 10, (int(edge.sum()), 1))
        return to_uint8(img)
    if domain == 'cartoon':
        bg = rng.uniform(150, 255, 3)
        img = np.broadcast_to(bg, (size, size, 3)).astype(np.float32).copy()
        img[mask] = np.clip(colour * 1.15 + 20, 0, 255)
        img[_outline(mask)] = 10.0
        return to_uint8(img)
    raise ValueError(f'unknown domain {domain!r}; one of {DOMAINS}')


def benchmark_dict() -> Dict[str, object]:
    return dict(name='quickstart_shapes', layout='DATA_ROOT/<domain>/<class>/<image file>',
                domains=list(DOMAINS), classes=[c[0] for c in CLASSES], known=list(KNOWN),
                unknown=list(UNKNOWN), class_names={},
                source='mmopen.quickstart.osdg_data (synthetic)',
                notes=f'target domain of the quickstart: {TARGET}')


def write_osdg_quickstart(out: str, force: bool = False, log=print, **params) -> bool:
    """Write the OSDG quickstart to ``out`` (see the module docstring). Returns ``False`` when
    the same data is already there, ``True`` after writing."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f'Unknown OSDG quickstart parameters {sorted(unknown)}; known: '
                        f'{sorted(DEFAULTS)}.')
    params = dict(DEFAULTS, **params)
    manifest = dict(kind='osdg', version=FORMAT_VERSION, **params)
    path = osp.join(out, 'manifest.json')
    if osp.isfile(path) and not force:
        with open(path) as f:
            if json.load(f) == manifest:
                log(f'{out}: OSDG quickstart data already present, nothing to do.')
                return False
    rng = np.random.default_rng(params['seed'])
    log(f'Writing the OSDG quickstart ({len(DOMAINS)} domains x {len(CLASSES)} classes x '
        f'{params["per_class"]} images) to {out} ...')
    with atomic_path(out, is_dir=True) as tmp:
        for domain in DOMAINS:
            for name, shape, rgb in CLASSES:
                folder = osp.join(tmp, domain, name)
                os.makedirs(folder)
                for i in range(params['per_class']):
                    img = render(rng, params['size'], domain, shape, rgb)
                    Image.fromarray(img).save(osp.join(folder, f'{domain}_{name}_{i:04d}.jpg'),
                                              quality=95)
        with open(osp.join(tmp, 'benchmark.json'), 'w') as f:
            json.dump(benchmark_dict(), f, indent=1)
        with open(osp.join(tmp, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
    return True


def world(root: str, per_class: int):
    """Fresh images of every class and every world-only shape in every style, from the data's
    seed + 1000 (none is an image of the data set): ``[(image, domain, class)]``."""
    with open(osp.join(root, 'manifest.json')) as f:
        manifest = json.load(f)
    rng = np.random.default_rng(int(manifest['seed']) + PRETRAIN_SEED_OFFSET)
    return [(render(rng, int(manifest['size']), domain, shape, rgb), domain, name)
            for domain in DOMAINS for name, shape, rgb in CLASSES + WORLD_ONLY
            for _ in range(per_class)]


def osdg_inpaint_pairs(root: str, per_class: int = 20):
    """Pre-training pairs for the tiny inpainting model: like a real diffusion model it has
    seen the whole world (every style, every shape, images outside the data set), captioned
    ``"A <domain> image of a <class>"`` (the pseudo-unknown prompt's form), every third one
    ``"A <domain> image of a shape"`` (:data:`GENERIC_WORD`)."""
    pairs = world(root, per_class)
    return [p[0] for p in pairs], [
        f'A {d} image of a {GENERIC_WORD if i % 3 == 2 else name}'
        for i, (_, d, name) in enumerate(pairs)]
