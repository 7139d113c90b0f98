"""Saved OOD scores: one folder per evaluation, read back bit-exactly.

``OODMetric(save_scores=DIR)`` (``tools/test.py --save-scores DIR``) writes every score of every
sample, so the numbers can be recomputed, compared with another method's score files or
re-plotted without running the model again (``tools/ood/eval_scores.py DIR``). Layout::

    DIR/manifest.json              what is where, and how the metrics were configured
    DIR/<k>/<set>.npy              score k of the samples of one set (float64, dataset order)
    DIR/<k>/<id set>@<set>.npy     stream scores only (AdaNeg): the ID scores of the stream
                                   run with OOD set <set>
    DIR/paths/<set>.txt            the image of each sample, one path per line (when known)

Scores are stored as float64, the type the metric computes with, so re-reading gives the same
arrays and therefore the same metrics, bit for bit. The folder is written under a temporary name
and renamed into place when complete.
"""
import json
import os
import os.path as osp
import re
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from mmopen.utils.io import atomic_path

FORMAT = 'mmopen-ood-scores'
VERSION = 1


def _safe(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9._@-]+', '_', name) or '_'


def check_score_folder(out_dir: str) -> None:
    """Refuse a destination that holds something other than a score folder (which saving would
    replace): an empty or missing folder, or an earlier score folder, passes."""
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir!r} is a file: choose a new folder for the scores.')
    if osp.isdir(out_dir) and os.listdir(out_dir):
        try:
            with open(osp.join(out_dir, 'manifest.json'), encoding='utf-8') as f:
                ours = json.load(f).get('format') == FORMAT
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise FileExistsError(
                f'{out_dir!r} exists and is not a score folder (no mmopen manifest.json): '
                'saving scores there would replace it. Choose a new folder for the scores.')


def save_scores(out_dir: str,
                id_set: str,
                id_scores: Mapping[str, Any],
                ood_scores: Mapping[str, Mapping[str, Sequence[float]]],
                groups: Optional[Mapping[str, Sequence[str]]] = None,
                conventions: Sequence[str] = (),
                recall_level: float = 0.95,
                info: Optional[Mapping[str, Any]] = None,
                paths: Optional[Mapping[str, Sequence[str]]] = None) -> str:
    """Write scores in the layout above (arguments as :func:`mmopen.ood.summarize`; a score's
    ID entry may be ``{OOD set: ID scores}`` for stream scores; ``paths``: ``{set: image path
    of each sample}``). Returns the manifest path."""
    manifest_path = osp.join(out_dir, 'manifest.json')
    check_score_folder(out_dir)
    files: Dict[str, Dict[str, str]] = {}
    used = set()
    with atomic_path(out_dir, is_dir=True) as tmp:
        for score, ids in id_scores.items():
            folder = _safe(score)
            while folder in used:  # two score names that sanitise alike
                folder += '_'
            used.add(folder)
            os.makedirs(osp.join(tmp, folder))
            entry = files[score] = {}
            names = set()

            def put(key, values, name):
                stem = _safe(name)
                while stem in names:  # two set names that sanitise alike
                    stem += '_'
                names.add(stem)
                rel = f'{folder}/{stem}.npy'
                np.save(osp.join(tmp, rel), np.asarray(values, dtype=np.float64))
                entry[key] = rel

            if isinstance(ids, Mapping):
                for s, values in ids.items():
                    put(f'{id_set}@{s}', values, f'{id_set}@{s}')
            else:
                put(id_set, ids, id_set)
            for s, by_score in ood_scores.items():
                put(s, by_score[score], s)
        path_files = {}
        if paths:
            os.makedirs(osp.join(tmp, 'paths'))
            for s, items in paths.items():
                stem = _safe(s)
                while f'paths/{stem}.txt' in path_files.values():
                    stem += '_'
                rel = path_files[s] = f'paths/{stem}.txt'
                with open(osp.join(tmp, rel), 'w', encoding='utf-8') as f:
                    f.writelines(f'{p}\n' for p in items)
        manifest = dict(format=FORMAT, paths=path_files, version=VERSION, id_set=id_set,
                        ood_sets=list(ood_scores), scores=list(id_scores),
                        stream_scores=[k for k, v in id_scores.items()
                                       if isinstance(v, Mapping)],
                        groups={k: list(v) for k, v in (groups or {}).items()},
                        conventions=list(conventions), recall_level=recall_level,
                        info=dict(info or {}), files=files)
        with open(osp.join(tmp, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump(manifest, f, indent=1)
    return manifest_path


def load_scores(out_dir: str) -> dict:
    """Read a folder written by :func:`save_scores`: its manifest with ``id_scores`` and
    ``ood_scores`` added in :func:`mmopen.ood.summarize`'s shapes."""
    path = osp.join(out_dir, 'manifest.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{out_dir!r} holds no manifest.json: it is not a score folder written by '
            '`tools/test.py --save-scores DIR` (OODMetric(save_scores=DIR)).')
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)
    if manifest.get('format') != FORMAT:
        raise ValueError(f'{path} is not an mmopen score manifest (format '
                         f'{manifest.get("format")!r}, expected {FORMAT!r}).')
    if manifest.get('version', 0) > VERSION:
        raise ValueError(f'{path} has format version {manifest["version"]}; this mmopen reads '
                         f'up to {VERSION}: update mmopen.')

    def read(rel):
        full = osp.join(out_dir, rel)
        if not osp.isfile(full):
            raise FileNotFoundError(f'Score file {full!r}, listed in {path}, is missing.')
        try:
            arr = np.load(full, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f'Score file {full!r} could not be read ({e}): the folder is '
                             'damaged; evaluate again with --save-scores.') from None
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        if bad:
            raise ValueError(f'Score file {full!r} holds {bad} NaN or infinite value(s) of '
                             f'{np.size(arr)}: the scores are damaged; evaluate again.')
        return arr

    id_set = manifest['id_set']
    id_scores, ood_scores = {}, {s: {} for s in manifest['ood_sets']}
    for score in manifest['scores']:
        files = manifest['files'][score]
        if score in manifest.get('stream_scores', []):
            id_scores[score] = {s: read(files[f'{id_set}@{s}']) for s in manifest['ood_sets']}
        else:
            id_scores[score] = read(files[id_set])
        for s in manifest['ood_sets']:
            ood_scores[s][score] = read(files[s])
    image_paths = {}
    for s, rel in manifest.get('paths', {}).items():
        with open(osp.join(out_dir, rel), encoding='utf-8') as f:
            image_paths[s] = f.read().splitlines()
    _check_lengths(out_dir, manifest, id_scores, ood_scores, image_paths)
    manifest.update(id_scores=id_scores, ood_scores=ood_scores, image_paths=image_paths)
    return manifest


def _check_lengths(out_dir, manifest, id_scores, ood_scores, image_paths) -> None:
    """Every score of a set has one value per sample of that set (and per listed image path):
    a file that lost values would otherwise give other metrics without an error."""
    id_set, files = manifest['id_set'], manifest['files']
    sizes = {s: {} for s in [id_set] + list(manifest['ood_sets'])}
    for score, ids in id_scores.items():
        if isinstance(ids, Mapping):  # a stream's ID scores: compared with the same stream's
            for s, arr in ids.items():
                sizes.setdefault(f'{id_set}@{s}', {})[files[score][f'{id_set}@{s}']] = \
                    np.size(arr)
        else:
            sizes[id_set][files[score][id_set]] = np.size(ids)
    for s, by_score in ood_scores.items():
        for score, arr in by_score.items():
            sizes[s][files[score][s]] = np.size(arr)
    for s, rel in manifest.get('paths', {}).items():
        if s in sizes:
            sizes[s][rel] = len(image_paths[s])
    for s, by_file in sizes.items():
        if len(set(by_file.values())) > 1:
            listing = ', '.join(f'{rel}: {n}' for rel, n in sorted(by_file.items()))
            raise ValueError(f'Score folder {out_dir!r}: the files of set {s!r} disagree on its '
                             f'number of samples ({listing}); a file is truncated or from '
                             'another run. Evaluate again with --save-scores.')
