"""Open-set domain generalisation (OSDG) benchmark definitions: which domains and classes a
benchmark has, which classes are known (trained on, labelled ``0..C-1``) and which are unknown
(appear only in the target domain, labelled ``C``), plus the pure helpers that turn a benchmark and
a folder of images into item lists.

The shipped definitions live in ``benchmarks/<name>.json`` next to this module and follow the
ODG-CLIP protocol (Singha et al., CVPR 2024), which SeeCLIP reuses; ODG-CLIP takes its splits from
DAML (Shu et al., CVPR 2021) and, for PACS, agrees with MEDIC (Wang et al., ICCV 2023). Each file
records where its split comes from (``source``) and what is reconstructed (``notes``).

JSON schema (the keys after ``notes`` are optional)::

    {"name": "pacs",
     "layout": "DATA_ROOT/<domain>/<class>/<image file>",
     "domains": [...], "classes": [...every class folder...],
     "known": [...], "unknown": [...],
     "class_names": {"Alarm_Clock": "alarm clock", ...},  # prompt names differing from folders
     "source": "...", "notes": "...",
     "source_domains": [...],            # fixed sources (Multi-Dataset); default: all but target
     "domain_classes": {domain: [...]},  # classes a domain has (Multi-Dataset); default: all
     "protocol": {                       # DAML / ODG-CLIP subsets, used on request only:
         "source_domain_classes": [[...], [...], [...]],  # known classes of source 1, 2, 3
         "target_known": [...]}}                          # known classes kept in the target

Everything here is deterministic and independent of the order in which the file system lists
files, so a split can be reproduced from ``(benchmark, data_root, seed)`` alone.
"""
import json
import os
import os.path as osp
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

BENCHMARK_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'benchmarks')
SHIPPED = ('pacs', 'vlcs', 'office_home', 'multi_dataset', 'mini_domainnet')
DEFAULT_LAYOUT = 'DATA_ROOT/<domain>/<class>/<image file>'
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
REQUIRED_KEYS = ('name', 'layout', 'domains', 'classes', 'known', 'unknown', 'class_names',
                 'source', 'notes')

Item = Tuple[str, str]  # (relative path 'domain/class/file', class folder)


@dataclass(frozen=True)
class OSDGBenchmark:
    """One OSDG benchmark: domains, class folders and the known / unknown class split.

    ``known`` fixes the label order (``known[i]`` has label ``i``); every unknown class gets the
    label ``len(known)``. ``origin`` names the file (or ``'<dict>'``) it was read from, for error
    messages. See the module docstring for the optional fields.
    """
    name: str
    layout: str
    domains: Tuple[str, ...]
    classes: Tuple[str, ...]
    known: Tuple[str, ...]
    unknown: Tuple[str, ...]
    class_names: Dict[str, str]
    source: str
    notes: str
    source_domains: Optional[Tuple[str, ...]] = None
    domain_classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    protocol: Dict[str, object] = field(default_factory=dict)
    origin: str = '<dict>'

    __hash__ = None  # holds dicts

    def prompt_name(self, folder: str) -> str:
        """The class name used in text prompts: ``class_names[folder]`` when the file gives one,
        else the folder name with ``_`` turned into spaces, lower-cased (``Desk_Lamp`` ->
        ``desk lamp``)."""
        if folder not in self.classes:
            raise ValueError(f'{folder!r} is not a class of benchmark {self.name!r} '
                             f'({self.origin}); its classes are {list(self.classes)}.')
        return self.class_names.get(folder, folder.replace('_', ' ').lower())

    @property
    def known_prompt_names(self) -> Tuple[str, ...]:
        """Prompt names of the known classes, in label order."""
        return tuple(self.prompt_name(c) for c in self.known)

    def classes_of(self, domain: str) -> Tuple[str, ...]:
        """The classes present in ``domain`` (all classes unless ``domain_classes`` says
        otherwise), in ``classes`` order."""
        if domain not in self.domains:
            raise ValueError(f'{domain!r} is not a domain of benchmark {self.name!r} '
                             f'({self.origin}); choose from {list(self.domains)}.')
        have = self.domain_classes.get(domain)
        return self.classes if have is None else tuple(c for c in self.classes if c in have)

    def default_sources(self, target: str) -> Tuple[str, ...]:
        """The source domains for ``target``: the fixed ``source_domains`` when the benchmark
        has them, else every other domain; in ``domains`` order."""
        pool = self.source_domains if self.source_domains is not None else self.domains
        return tuple(d for d in pool if d != target)


def _fail(origin: str, what: str, todo: str) -> ValueError:
    return ValueError(f'OSDG benchmark {origin}: {what}. {todo}')


def _str_list(data: Mapping, key: str, origin: str) -> Tuple[str, ...]:
    value = data[key]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _fail(origin, f'"{key}" must be a list of strings, got {value!r}',
                    'Fix the benchmark file.')
    seen = set()
    for v in value:
        if v in seen:
            raise _fail(origin, f'"{key}" lists {v!r} twice', 'Remove the duplicate.')
        seen.add(v)
    return tuple(value)


def _check_subset(values: Sequence[str], allowed: Sequence[str], origin: str, what: str,
                  allowed_what: str) -> None:
    allowed = set(allowed)
    for v in values:
        if v not in allowed:
            raise _fail(origin, f'{what} names {v!r}, which is not in {allowed_what}',
                        f'Fix the spelling or add it to {allowed_what} (benchmark classes are '
                        'folder names, e.g. "Alarm_Clock").')


def validate_benchmark(data: Mapping, origin: str = '<dict>') -> OSDGBenchmark:
    """Check a benchmark mapping (the JSON schema in the module docstring) and build an
    :class:`OSDGBenchmark`. Errors name the offending class / key and ``origin``."""
    if not isinstance(data, Mapping):
        raise _fail(origin, f'expected a JSON object, got {type(data).__name__}',
                    'Write the benchmark as a JSON object with keys '
                    + ', '.join(REQUIRED_KEYS) + '.')
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise _fail(origin, f'missing keys {missing}',
                    'Every benchmark needs ' + ', '.join(REQUIRED_KEYS) + '.')
    domains = _str_list(data, 'domains', origin)
    classes = _str_list(data, 'classes', origin)
    known = _str_list(data, 'known', origin)
    unknown = _str_list(data, 'unknown', origin)
    if not domains:
        raise _fail(origin, '"domains" is empty', 'List the domain folder names.')
    if not known:
        raise _fail(origin, '"known" is empty', 'List at least one known class.')
    _check_subset(known, classes, origin, '"known"', '"classes"')
    _check_subset(unknown, classes, origin, '"unknown"', '"classes"')
    both = [c for c in known if c in set(unknown)]
    if both:
        raise _fail(origin, f'class {both[0]!r} is both known and unknown',
                    'A class must be in exactly one of "known" and "unknown": remove it from one.')
    class_names = data['class_names'] or {}
    if not isinstance(class_names, Mapping):
        raise _fail(origin, '"class_names" must be an object {folder: prompt name}',
                    'Fix the benchmark file.')
    _check_subset(list(class_names), classes, origin, '"class_names"', '"classes"')

    source_domains = None
    if data.get('source_domains') is not None:
        source_domains = _str_list(data, 'source_domains', origin)
        _check_subset(source_domains, domains, origin, '"source_domains"', '"domains"')
    domain_classes = {}
    for dom, have in (data.get('domain_classes') or {}).items():
        _check_subset([dom], domains, origin, '"domain_classes"', '"domains"')
        have = _str_list({'domain_classes.' + dom: have}, 'domain_classes.' + dom, origin)
        _check_subset(have, classes, origin, f'"domain_classes.{dom}"', '"classes"')
        domain_classes[dom] = have
    protocol = dict(data.get('protocol') or {})
    if 'source_domain_classes' in protocol:
        lists = protocol['source_domain_classes']
        if not isinstance(lists, (list, tuple)):
            raise _fail(origin, '"protocol.source_domain_classes" must be a list of class lists',
                        'Fix the benchmark file.')
        checked = []
        for i, lst in enumerate(lists):
            key = f'protocol.source_domain_classes[{i}]'
            lst = _str_list({key: lst}, key, origin)
            _check_subset(lst, known, origin, f'"{key}"', '"known"')
            checked.append(lst)
        protocol['source_domain_classes'] = tuple(checked)
    if 'target_known' in protocol:
        tk = _str_list({'protocol.target_known': protocol['target_known']},
                       'protocol.target_known', origin)
        _check_subset(tk, known, origin, '"protocol.target_known"', '"known"')
        protocol['target_known'] = tk
    return OSDGBenchmark(
        name=str(data['name']), layout=str(data['layout']), domains=domains, classes=classes,
        known=known, unknown=unknown, class_names=dict(class_names), source=str(data['source']),
        notes=str(data['notes']), source_domains=source_domains, domain_classes=domain_classes,
        protocol=protocol, origin=origin)


def load_osdg_benchmark(benchmark: Union[str, Mapping, OSDGBenchmark]) -> OSDGBenchmark:
    """Load a benchmark by shipped name (``'pacs'``, ``'vlcs'``, ``'office_home'``,
    ``'multi_dataset'``, ``'mini_domainnet'``), by path to a JSON file of the same schema, or
    from a dict of that schema; validate it (see :func:`validate_benchmark`)."""
    if isinstance(benchmark, OSDGBenchmark):
        return benchmark
    if isinstance(benchmark, Mapping):
        return validate_benchmark(benchmark, '<dict>')
    if not isinstance(benchmark, str):
        raise TypeError(f'benchmark must be a shipped name, a JSON path or a dict, got '
                        f'{type(benchmark).__name__}.')
    if benchmark in SHIPPED:
        path = osp.join(BENCHMARK_DIR, benchmark + '.json')
    elif benchmark.endswith('.json') or os.sep in benchmark or osp.isfile(benchmark):
        path = osp.expanduser(benchmark)
        if not osp.isfile(path):
            raise FileNotFoundError(f'OSDG benchmark file {path!r} does not exist. Pass a shipped '
                                    f'name {list(SHIPPED)} or the path of an existing JSON file.')
    else:
        raise ValueError(f'Unknown OSDG benchmark {benchmark!r}. Shipped benchmarks: '
                         f'{list(SHIPPED)}; or pass a path to a JSON file / a dict of the same '
                         'schema.')
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'OSDG benchmark file {path!r} is not valid JSON: {e}.') from None
    return validate_benchmark(data, path)


def _near_names(name: str, candidates: Sequence[str]) -> List[str]:
    key = name.lower().replace(' ', '_')
    return [c for c in candidates if c.lower().replace(' ', '_') == key]


def list_domain_images(data_root: str, domain: str, classes: Sequence[str],
                       layout: str = DEFAULT_LAYOUT) -> List[Item]:
    """All images of ``classes`` in ``data_root/domain``: sorted ``(relative path, class folder)``
    pairs, the path being ``'domain/class/.../file'`` (``/``-separated). Images are the files
    ending in .jpg / .jpeg / .png / .bmp (any case), found recursively inside each class folder
    (some releases nest them); symlinked folders are followed.

    Raises FileNotFoundError when ``data_root``, the domain folder or a class folder is missing,
    naming the path and the expected ``layout``.
    """
    if not data_root or not osp.isdir(data_root):
        raise FileNotFoundError(f'OSDG data_root {data_root!r} does not exist or is not a folder. '
                                f'Set data_root to the folder that holds the domain folders; '
                                f'expected layout: {layout}.')
    dom_dir = osp.join(data_root, domain)
    if not osp.isdir(dom_dir):
        present = sorted(d for d in os.listdir(data_root) if osp.isdir(osp.join(data_root, d)))
        near = _near_names(domain, present)
        hint = f' Did you mean {near[0]!r}? Rename or symlink it.' if near else ''
        raise FileNotFoundError(f'Domain folder {dom_dir!r} does not exist. Folders present in '
                                f'{data_root!r}: {present}. Expected layout: {layout}.{hint}')
    items: List[Item] = []
    for cls in classes:
        cls_dir = osp.join(dom_dir, cls)
        if not osp.isdir(cls_dir):
            raise FileNotFoundError(
                f'Class {cls!r} has no folder in domain {dom_dir!r} (looked for {cls_dir!r}): the '
                'class split names a class that is not in the data. Fix the split file (classes / '
                f'known / unknown / domain_classes) or the data. Expected layout: {layout}.')
        for root, dirs, files in os.walk(cls_dir, followlinks=True):
            dirs.sort()
            for name in files:
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    rel = osp.relpath(osp.join(root, name), data_root)
                    items.append((rel.replace(os.sep, '/'), cls))
    items.sort()
    return items


def _class_rng(seed: int, cls: str) -> np.random.Generator:
    # One stream per class, keyed by the class name: a class's split does not change when other
    # classes are added or dropped (e.g. per-domain protocol subsets).
    return np.random.default_rng([int(seed), zlib.crc32(cls.encode('utf-8'))])


def holdout_split(items: Sequence[Item], fraction: float,
                  seed: int) -> Tuple[List[Item], List[Item]]:
    """Deterministic per-class stratified split of ``(path, class)`` items into
    ``(train_items, val_items)``.

    Within each class ``round(fraction * n)`` items go to val (half rounded up, as DAML's 90/10
    list split), capped so that every class keeps at least one training item. Items are sorted
    first and each class draws from ``numpy.random.default_rng([seed, crc32(class)])``, so the
    split depends only on the item set, ``fraction`` and ``seed`` -- not on file-system order nor
    on which other classes are present. Both outputs are sorted.
    """
    if not 0.0 <= float(fraction) < 1.0:
        raise ValueError(f'holdout fraction must be in [0, 1), got {fraction!r}.')
    by_class: Dict[str, List[Item]] = {}
    for item in sorted(set(map(tuple, items))):
        by_class.setdefault(item[1], []).append(item)
    train: List[Item] = []
    val: List[Item] = []
    for cls in sorted(by_class):
        group = by_class[cls]
        n = len(group)
        n_val = min(int(np.floor(n * float(fraction) + 0.5)), n - 1)
        order = _class_rng(seed, cls).permutation(n)
        val_idx = set(order[:n_val].tolist())
        for i, item in enumerate(group):
            (val if i in val_idx else train).append(item)
    train.sort()
    val.sort()
    return train, val
