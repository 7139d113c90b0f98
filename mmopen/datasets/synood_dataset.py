"""The fine-tuning set of a SynOOD run, read from its manifest."""
import os.path as osp
from typing import List, Sequence

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from mmopen.ood.synood.manifest import read_manifest

PARTS = ('id', 'synthetic')


@DATASETS.register_module()
class SynOODDataset(BaseDataset):
    """ID seed images and the synthetic images made from them (``tools/synood/generate.py``).

    Labels index ``[ID classes + negative labels]`` (:class:`mmopen.models.ood.SynOODClassifier`):
    an ID seed keeps its class ``y < C``; a synthetic image gets ``C + `` its mined negative
    label's index. ``C`` is the number of ID classes the manifest records.

    Args:
        manifest: ``OUT/manifest.json`` of the run (or ``OUT``).
        parts: ``('id', 'synthetic')`` for stage 1 (``D_pro``), ``('synthetic', )`` for stage 2.
        data_root: where the ID seed paths are relative to (default: the run's ``data_root``).
    """

    def __init__(self, manifest: str, parts: Sequence[str] = PARTS, data_root: str = None,
                 **kwargs):
        parts = tuple(parts)
        bad = [p for p in parts if p not in PARTS]
        if bad or not parts:
            raise ValueError(f'parts={parts}: choose from {PARTS}.')
        self.manifest_path = osp.join(manifest, 'manifest.json') if osp.isdir(manifest) \
            else manifest
        self.parts = parts
        self.id_root = data_root
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=self.manifest_path, **kwargs)

    def load_data_list(self) -> List[dict]:
        manifest = read_manifest(self.manifest_path)
        root = osp.dirname(osp.abspath(self.manifest_path))
        id_root = self.id_root or manifest['data_root']
        num_id = int(manifest['num_id_classes'])
        items = []
        if 'id' in self.parts:
            seen = set()
            for rec in manifest['records']:
                if rec['source'] in seen:
                    continue
                seen.add(rec['source'])
                items.append(dict(img_path=osp.join(id_root, rec['source']),
                                  gt_label=int(rec['source_label']), synthetic=False))
        if 'synthetic' in self.parts:
            for rec in manifest['records']:
                items.append(dict(img_path=osp.join(root, rec['image']),
                                  gt_label=num_id + int(rec['neg_index']), synthetic=True,
                                  neg_label=rec['neg_label']))
        missing = [it['img_path'] for it in items if not osp.isfile(it['img_path'])]
        if missing:
            raise FileNotFoundError(f'{len(missing)} images of {self.manifest_path} are missing '
                                    f'(first: {missing[0]!r}); pass data_root= if the ID images '
                                    'moved.')
        return items
