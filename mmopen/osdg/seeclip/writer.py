"""Pre-generating SeeCLIP pseudo-unknowns as a data set: the sharded, resumable, atomic loop
SynOOD writes with too (:func:`mmopen.utils.sharded_writer.generate_shard`), with SeeCLIP's
generator and records.

``tools/seeclip/generate_pseudo_unknowns.py`` picks the source images
(:func:`select_sources`: per domain and class, a seeded choice of the source-domain training
images), builds the model whose semantic tokens guide the generation (the config's
``SeeCLIPClassifier``, optionally from a checkpoint) and writes ``OUT/manifest.json``, which
``OSDGDataset(pseudo_unknowns=OUT)`` reads (label: unknown).
"""
import os.path as osp
from collections import defaultdict
from typing import List, NamedTuple, Sequence

import numpy as np

from mmopen.diffusion.images import from_uint8, to_uint8
from mmopen.utils.sharded_writer import Seed


class PseudoUnknownSample(NamedTuple):
    image: np.ndarray
    domain: str
    prompt: str
    losses: List[float]  # token distance after 0 .. outer_iters noise updates


def select_sources(items: Sequence[dict], data_root: str, per_group: int,
                   seed: int = 0) -> List[Seed]:
    """``per_group`` source images per (domain, class) of ``items`` (``OSDGDataset`` data
    infos: ``img_path``, ``gt_label``, ``domain``), chosen by a seeded permutation of the sorted
    paths; groups in (domain, label) order. Paths are made relative to ``data_root``."""
    if per_group < 1:
        raise ValueError(f'per_group={per_group}: choose at least one source image per domain '
                         'and class.')
    groups = defaultdict(list)
    for it in items:
        groups[(str(it['domain']), int(it['gt_label']))].append(str(it['img_path']))
    if not groups:
        raise ValueError('No source image: the training split is empty.')
    rng = np.random.default_rng(seed)
    out = []
    for key in sorted(groups):
        paths = sorted(groups[key])
        for j in rng.permutation(len(paths))[:per_group]:
            out.append(Seed(osp.relpath(paths[int(j)], data_root), key[1], 0.0))
    return out


def domain_of(path: str) -> str:
    """The domain folder of ``<domain>/<class>/<file>`` (the OSDG layout)."""
    parts = path.replace('\\', '/').split('/')
    if len(parts) < 3:
        raise ValueError(f'{path!r} is not <domain>/<class>/<file> relative to the data root.')
    return parts[0]


class PseudoUnknownSource:
    """The ``generate`` interface of ``generate_shard`` over a
    :class:`~mmopen.osdg.seeclip.PseudoUnknownGenerator` and a ``SeeCLIPClassifier`` (whose learned
    queries give the semantic tokens)."""

    def __init__(self, model, generator):
        self.model = model.eval()
        self.generator = generator

    def generate(self, images, paths, labels, seeds) -> List[PseudoUnknownSample]:
        domains = [domain_of(p) for p in paths]
        x = from_uint8(images, self.generator.resolution)
        out = self.generator(x, domains, seeds, self.model.semantic_tokens_of_images)
        return [PseudoUnknownSample(img, domains[i], out.prompts[i],
                                    [float(v) for v in out.losses[:, i]])
                for i, img in enumerate(to_uint8(out.images))]


def pseudo_unknown_record(sample: PseudoUnknownSample) -> dict:
    return dict(domain=sample.domain, prompt=sample.prompt, losses=sample.losses)


