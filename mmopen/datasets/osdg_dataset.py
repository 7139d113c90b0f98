"""Open-set domain generalisation data for SeeCLIP / ODG-CLIP style training and evaluation."""
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from mmopen.osdg.benchmarks import (OSDGBenchmark, holdout_split, list_domain_images,
                                    load_osdg_benchmark, validate_benchmark)

SPLITS = ('train', 'val', 'test')
PSEUDO_UNKNOWN = 'pseudo_unknown'


@DATASETS.register_module()
class OSDGDataset(BaseDataset):
    """One split of an OSDG benchmark (:mod:`mmopen.osdg.benchmarks`): leave-one-domain-out,
    with known classes labelled ``0..C-1`` in the order of ``known`` and every unknown class
    labelled ``C``.

    * ``'train'``: the source domains' images of the known classes, minus the held-out part; plus,
      if ``pseudo_unknowns`` is given, generated pseudo-unknown images labelled ``C`` (the ODG-CLIP
      / SeeCLIP recipe: diffusion images stand in for the open class during training).
    * ``'val'``: the held-out part of the source domains (known classes only), the model-selection
      set; the split is per source domain and per class (:func:`holdout_split`), so every class of
      every domain keeps training images. Given ``pseudo_unknowns`` too, it also holds the
      held-out part of them, labelled ``C``, so that a source H-score (known accuracy and the
      rate at which held-out pseudo-unknowns are called unknown) can select checkpoints without
      looking at the target.
    * ``'test'``: the whole target domain; known classes keep their label, unknown ones get ``C``.

    Every data info has ``img_path`` (absolute), ``gt_label``, ``domain``, ``class_folder`` and
    ``is_pseudo_unknown``. ``metainfo['classes']`` is the known prompt names plus ``'unknown'``.

    Args:
        benchmark: shipped name ('pacs', 'vlcs', 'office_home', 'multi_dataset',
            'mini_domainnet'), a JSON path or a dict of the same schema.
        data_root: the folder holding the domain folders (``layout`` in the benchmark).
        target_domain: the held-out domain; one of the benchmark's domains.
        split: 'train', 'val' or 'test'.
        source_domains: default: the benchmark's fixed sources if it has them (Multi-Dataset),
            else every other domain.
        holdout_fraction: share of each source (domain, class) held out for 'val' (DAML: 0.1).
        seed: seed of the holdout and of the pseudo-unknown resampling.
        known_classes / unknown_classes: override the file's split (class folder names).
        protocol_subsets: use the benchmark's DAML / ODG-CLIP ``protocol``: the ``i``-th source
            domain (in ``source_domains`` order, by default the benchmark's ``domains`` order
            without the target) only contributes ``protocol.source_domain_classes[i]`` and the
            target keeps only the known classes in ``protocol.target_known`` (unknown classes
            all stay). Default off: every source contributes all its known classes and the
            target keeps all of them.
        pseudo_unknowns: a manifest JSON (or its folder, holding ``manifest.json``) with
            ``"records"``: ``[{"image": path relative to the manifest's folder, "domain": ...
            (optional), "source_label": ... (optional)}, ...]``. For 'train' (the records not
            held out) and 'val' (the held-out ones); not for 'test'.
        pseudo_unknown_holdout: share of the pseudo-unknowns held out for 'val', per domain and
            source class (:func:`holdout_split`, seeded by ``seed``); default
            ``holdout_fraction``. 'train' and 'val' built with the same manifest, share and
            seed hold complementary parts.
        pseudo_unknown_ratio: if set (in ``[0, 1)``), the training split's pseudo-unknown images
            are repeated or subsampled (deterministically, by ``seed``) to make up this fraction
            of the training list; else each is used once. ('val' uses each held-out one once.)
    """

    def __init__(self,
                 benchmark: Union[str, Mapping, OSDGBenchmark],
                 data_root: str,
                 target_domain: str,
                 split: str = 'train',
                 source_domains: Optional[Sequence[str]] = None,
                 holdout_fraction: float = 0.1,
                 seed: int = 0,
                 known_classes: Optional[Sequence[str]] = None,
                 unknown_classes: Optional[Sequence[str]] = None,
                 protocol_subsets: bool = False,
                 pseudo_unknowns: Optional[str] = None,
                 pseudo_unknown_holdout: Optional[float] = None,
                 pseudo_unknown_ratio: Optional[float] = None,
                 pipeline: Sequence = (),
                 metainfo: Optional[dict] = None,
                 **kwargs):
        bench = load_osdg_benchmark(benchmark)
        if known_classes is not None or unknown_classes is not None:
            bench = self._override(bench, known_classes, unknown_classes)
        if split not in SPLITS:
            raise ValueError(f'OSDGDataset: split={split!r}; choose from {list(SPLITS)}.')
        if target_domain not in bench.domains:
            raise ValueError(f'OSDGDataset: target_domain={target_domain!r} is not a domain of '
                             f'benchmark {bench.name!r}; choose from {list(bench.domains)}.')
        if source_domains is None:
            sources = bench.default_sources(target_domain)
        else:
            sources = tuple(source_domains)
            bad = [d for d in sources if d not in bench.domains]
            if bad:
                raise ValueError(f'OSDGDataset: source domain {bad[0]!r} is not a domain of '
                                 f'benchmark {bench.name!r}; choose from {list(bench.domains)}.')
            if target_domain in sources:
                raise ValueError(f'OSDGDataset: the target domain {target_domain!r} is also in '
                                 f'source_domains {list(sources)}; remove it from the sources.')
        if not sources:
            raise ValueError(f'OSDGDataset: no source domains left for target {target_domain!r} '
                             f'in benchmark {bench.name!r}; pass source_domains.')
        if not 0.0 <= float(holdout_fraction) < 1.0:
            raise ValueError(f'OSDGDataset: holdout_fraction must be in [0, 1), got '
                             f'{holdout_fraction!r}.')
        if pseudo_unknowns is not None and split == 'test':
            raise ValueError('OSDGDataset: pseudo_unknowns are source-side data (training, and '
                             "their held-out part for 'val'); the 'test' split must not get them.")
        if pseudo_unknown_holdout is not None and not 0.0 <= float(pseudo_unknown_holdout) < 1.0:
            raise ValueError(f'OSDGDataset: pseudo_unknown_holdout must be in [0, 1), got '
                             f'{pseudo_unknown_holdout!r}.')
        if pseudo_unknown_ratio is not None:
            if pseudo_unknowns is None:
                raise ValueError('OSDGDataset: pseudo_unknown_ratio is set but pseudo_unknowns is '
                                 'not; pass the manifest or drop the ratio.')
            if not 0.0 <= float(pseudo_unknown_ratio) < 1.0:
                raise ValueError(f'OSDGDataset: pseudo_unknown_ratio must be in [0, 1), got '
                                 f'{pseudo_unknown_ratio!r}.')
        if protocol_subsets:
            self._check_protocol(bench, sources)

        self.benchmark = bench
        self.target_domain = target_domain
        self.source_domains = sources
        self.split = split
        self.holdout_fraction = float(holdout_fraction)
        self.seed = int(seed)
        self.protocol_subsets = bool(protocol_subsets)
        self.pseudo_unknowns = pseudo_unknowns
        self.pseudo_unknown_holdout = float(holdout_fraction if pseudo_unknown_holdout is None
                                            else pseudo_unknown_holdout)
        self.pseudo_unknown_ratio = pseudo_unknown_ratio
        self.osdg_root = osp.abspath(osp.expanduser(data_root)) if data_root else ''

        info = dict(classes=bench.known_prompt_names + ('unknown', ),
                    known_classes=bench.known_prompt_names,
                    num_known=len(bench.known),
                    benchmark=bench.name,
                    target_domain=target_domain,
                    source_domains=sources,
                    split=split)
        for key, value in (metainfo or {}).items():
            if key in info and key != 'classes' and value != info[key]:
                raise ValueError(f'OSDGDataset: metainfo[{key!r}]={value!r} contradicts the '
                                 f'dataset arguments ({info[key]!r}); drop it from metainfo.')
            if key == 'classes' and tuple(value) != info['classes']:
                raise ValueError(f'OSDGDataset: metainfo classes {tuple(value)} differ from the '
                                 f"benchmark's {info['classes']}; set known_classes instead.")
            info[key] = value
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file='', metainfo=info, data_root=data_root, pipeline=pipeline,
                         **kwargs)

    # ------------------------------------------------------------------ argument checks
    @staticmethod
    def _override(bench: OSDGBenchmark, known: Optional[Sequence[str]],
                  unknown: Optional[Sequence[str]]) -> OSDGBenchmark:
        data = dict(name=bench.name, layout=bench.layout, domains=list(bench.domains),
                    classes=list(bench.classes),
                    known=list(bench.known if known is None else known),
                    unknown=list(bench.unknown if unknown is None else unknown),
                    class_names=dict(bench.class_names), source=bench.source,
                    notes=bench.notes, source_domains=bench.source_domains,
                    domain_classes={k: list(v) for k, v in bench.domain_classes.items()})
        # The protocol lists refer to the file's known classes; keep only what is still known.
        still = set(data['known'])
        proto = {}
        if 'source_domain_classes' in bench.protocol:
            proto['source_domain_classes'] = [[c for c in lst if c in still]
                                              for lst in bench.protocol['source_domain_classes']]
        if 'target_known' in bench.protocol:
            proto['target_known'] = [c for c in bench.protocol['target_known'] if c in still]
        data['protocol'] = proto
        origin = f'{bench.origin} with known_classes/unknown_classes overridden'
        return validate_benchmark(data, origin)

    @staticmethod
    def _check_protocol(bench: OSDGBenchmark, sources: Sequence[str]) -> None:
        if not bench.protocol:
            raise ValueError(f'OSDGDataset: protocol_subsets=True but benchmark {bench.name!r} '
                             f'({bench.origin}) has no "protocol"; set protocol_subsets=False.')
        lists = bench.protocol.get('source_domain_classes')
        if lists is not None and len(lists) != len(sources):
            raise ValueError(f'OSDGDataset: protocol_subsets=True but benchmark {bench.name!r} '
                             f'gives {len(lists)} per-source class lists for {len(sources)} '
                             f'source domains {list(sources)}; use the default sources or set '
                             'protocol_subsets=False.')

    # ------------------------------------------------------------------ data
    def _source_classes(self, position: int, domain: str) -> List[str]:
        bench = self.benchmark
        present = set(bench.classes_of(domain))
        wanted = bench.known
        lists = bench.protocol.get('source_domain_classes') if self.protocol_subsets else None
        if lists is not None:
            wanted = [c for c in bench.known if c in set(lists[position])]
        return [c for c in wanted if c in present]

    def _source_items(self):
        train, val = [], []
        for position, domain in enumerate(self.source_domains):
            items = list_domain_images(self.osdg_root, domain,
                                       self._source_classes(position, domain),
                                       self.benchmark.layout)
            tr, va = holdout_split(items, self.holdout_fraction, self.seed)
            train += [(p, c, domain) for p, c in tr]
            val += [(p, c, domain) for p, c in va]
        return train, val

    def _target_items(self):
        bench = self.benchmark
        known = bench.known
        if self.protocol_subsets and 'target_known' in bench.protocol:
            keep = set(bench.protocol['target_known'])
            known = [c for c in known if c in keep]
        present = set(bench.classes_of(self.target_domain))
        classes = [c for c in list(known) + list(bench.unknown) if c in present]
        items = list_domain_images(self.osdg_root, self.target_domain, classes, bench.layout)
        return [(p, c, self.target_domain) for p, c in items]

    def _pseudo_unknown_infos(self, num_known_items: int) -> List[dict]:
        path = self.pseudo_unknowns
        if osp.isdir(path):
            path = osp.join(path, 'manifest.json')
        if not osp.isfile(path):
            raise FileNotFoundError(f'OSDGDataset: pseudo-unknown manifest {path!r} does not '
                                    'exist; pass the manifest.json (or its folder) written by the '
                                    'pseudo-unknown generator.')
        with open(path) as f:
            manifest = json.load(f)
        kind = manifest.get('kind') if isinstance(manifest, dict) else None
        if (isinstance(manifest, dict) and 'synood' in manifest) or kind not in (
                None, 'seeclip_pseudo_unknowns'):
            raise ValueError(f'OSDGDataset: {path!r} is not a pseudo-unknown manifest (kind '
                             f'{kind!r}; a SynOOD data set?): pass the output of '
                             'tools/seeclip/generate_pseudo_unknowns.py.')
        records = manifest.get('records') if isinstance(manifest, dict) else None
        if not isinstance(records, list) or not all(
                isinstance(r, dict) and isinstance(r.get('image'), str) for r in records):
            raise ValueError(f'OSDGDataset: {path!r} needs a "records" list whose entries have an '
                             '"image" path (relative to the manifest folder).')
        root = osp.dirname(osp.abspath(path))
        records = self._split_pseudo_unknowns(records)
        missing = [r['image'] for r in records if not osp.isfile(osp.join(root, r['image']))]
        if missing:
            raise FileNotFoundError(f'OSDGDataset: {len(missing)} pseudo-unknown images of '
                                    f'{path!r} are missing (first: '
                                    f'{osp.join(root, missing[0])!r}); regenerate them or fix the '
                                    'manifest.')
        if self.split == 'train' and self.pseudo_unknown_ratio is not None:
            records = resample_to_ratio(records, num_known_items, float(self.pseudo_unknown_ratio),
                                        self.seed, origin=path)
        label = len(self.benchmark.known)
        return [dict(img_path=osp.join(root, r['image']), gt_label=label,
                     domain=str(r.get('domain') or 'generated'), class_folder=PSEUDO_UNKNOWN,
                     is_pseudo_unknown=True) for r in records]

    def _split_pseudo_unknowns(self, records: List[dict]) -> List[dict]:
        """This split's share of the pseudo-unknown records, sorted by image: held out per
        (domain, source class) with :func:`holdout_split`."""
        by_image = {r['image']: r for r in records}
        items = [(img, f"{r.get('domain', '')}/{r.get('source_label', '')}")
                 for img, r in by_image.items()]
        train, val = holdout_split(items, self.pseudo_unknown_holdout, self.seed)
        return [by_image[img] for img, _ in (val if self.split == 'val' else train)]

    def load_data_list(self) -> List[dict]:
        label_of: Dict[str, int] = {c: i for i, c in enumerate(self.benchmark.known)}
        unknown_label = len(self.benchmark.known)
        if self.split == 'test':
            triples = self._target_items()
        else:
            train, val = self._source_items()
            triples = train if self.split == 'train' else val
        data_list = [dict(img_path=osp.join(self.osdg_root, p),
                          gt_label=label_of.get(c, unknown_label), domain=d, class_folder=c,
                          is_pseudo_unknown=False) for p, c, d in triples]
        if self.pseudo_unknowns is not None:
            data_list += self._pseudo_unknown_infos(len(data_list))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Benchmark: \t{self.benchmark.name}', f'Split: \t{self.split}',
                f'Target domain: \t{self.target_domain}',
                f'Source domains: \t{list(self.source_domains)}',
                f'Data root: \t{self.osdg_root}']


def resample_to_ratio(records: Sequence, num_known: int, ratio: float, seed: int,
                      origin: str = 'pseudo-unknowns') -> list:
    """Repeat or subsample ``records`` so that they are ``ratio`` of ``num_known + len(result)``:
    ``round(ratio * num_known / (1 - ratio))`` items; whole copies first, then a seeded
    subset (``numpy.random.default_rng(seed)``) for the rest, kept in input order."""
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f'pseudo_unknown_ratio must be in [0, 1), got {ratio!r}.')
    target = int(np.floor(ratio * num_known / (1.0 - ratio) + 0.5))
    if target == 0:
        return []
    if not records:
        raise ValueError(f'{origin}: pseudo_unknown_ratio={ratio} asks for {target} '
                         'pseudo-unknown images but the manifest has none.')
    copies, rest = divmod(target, len(records))
    rng = np.random.default_rng(seed)
    pick = sorted(rng.permutation(len(records))[:rest].tolist())
    return list(records) * copies + [records[i] for i in pick]
