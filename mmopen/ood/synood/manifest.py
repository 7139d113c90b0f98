"""A SynOOD data set's records and manifest: what ``tools/synood/generate.py`` writes through
the sharded writer (:mod:`mmopen.utils.sharded_writer`) and what ``SynOODDataset`` and
``SynOODClassifier(mined_from=...)`` read."""
import json
import os.path as osp

from mmopen.utils.sharded_writer import MANIFEST_VERSION


def synood_record(sample) -> dict:
    """The SynOOD-specific fields of an item's record (``record_of`` of the sharded writer; the
    sample is a :class:`~mmopen.ood.synood.generator.SynOODSample`)."""
    return dict(neg_index=sample.neg_index, neg_label=sample.neg_label, context=sample.context,
                prompt=sample.prompt, losses=sample.losses)


def read_manifest(path: str) -> dict:
    """A SynOOD manifest (``tools/synood/generate.py``), checked."""
    if osp.isdir(path):
        path = osp.join(path, 'manifest.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'SynOOD manifest {path!r} not found: generate the data set with '
                                'tools/synood/generate.py (it writes OUT/manifest.json last).')
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('version') != MANIFEST_VERSION or 'records' not in manifest:
        raise ValueError(f'{path} is not a SynOOD manifest of version {MANIFEST_VERSION}.')
    return manifest
