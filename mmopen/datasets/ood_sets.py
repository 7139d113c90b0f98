"""OOD benchmark data: image lists / folders for OOD sets, and one dataset that evaluates an
ID set together with its OOD sets in a single test loop.

Layouts (documented in the configs under ``configs/ood/_base_/datasets/``):

* NegLabel / MOS protocol (ImageNet-1k ID)::

      data/imagenet/val/<wnid>/*.JPEG + data/imagenet/meta/val.txt   (mmpretrain ImageNet)
      data/ood/iNaturalist/images/*.jpg
      data/ood/SUN/images/*.jpg
      data/ood/Places/images/*.jpg
      data/ood/dtd/images/<texture>/*.jpg

* OpenOOD v1.5 ImageNet-1k: ``data/openood/images_largescale/<set>/...`` with the image lists
  ``data/openood/benchmark_imglist/imagenet/test_<set>.txt`` (one "relative/path label" per
  line).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def list_entry(line: str, prefix: str = '') -> str:
    """The image path of one line of an image list: the text before a tab if there is one;
    else the whole line when it names a file under ``prefix`` (a path with spaces); else the
    text before the first whitespace (a ``path label`` line)."""
    line = line.strip('\r\n')
    if '\t' in line:
        return line.split('\t', 1)[0].strip()
    whole = line.strip()
    if ' ' in whole and osp.isfile(osp.join(prefix, whole)):
        return whole
    return whole.split()[0]


@DATASETS.register_module()
class ImageListDataset(BaseDataset):
    """Images from a list file or, without one, every image under a folder (recursively, in
    sorted order). Every image gets the label ``label`` (-1: OOD, no class).

    Args:
        data_root: root folder.
        ann_file: list file relative to ``data_root`` (one image path per line, relative to
            ``data_root/data_prefix``; see :func:`list_entry` for paths with spaces and lines
            with a label after the path). Empty: scan the folder.
        data_prefix: image folder relative to ``data_root``.
        label: the label of every image.
        layout: a description of the expected on-disk layout, for error messages.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix: str = '',
                 label: int = -1,
                 layout: Optional[str] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs):
        self.label = label
        self.layout = layout
        self.extensions = tuple(e.lower() for e in extensions)
        super().__init__(data_root=data_root, ann_file=ann_file,
                         data_prefix=dict(img_path=data_prefix), **kwargs)

    def _missing(self, what: str, path: str) -> FileNotFoundError:
        hint = f' Expected layout: {self.layout}.' if self.layout else ''
        return FileNotFoundError(f'{type(self).__name__}: {what} {path!r} does not exist.{hint}'
                                 ' Set data_root / ann_file / data_prefix in the config to '
                                 'where the data is.')

    def load_data_list(self) -> List[dict]:
        prefix = self.data_prefix['img_path']
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise self._missing('image list', self.ann_file)
            with open(self.ann_file, encoding='utf-8') as f:
                rels = [list_entry(line, prefix) for line in f if line.strip()]
        else:
            if not osp.isdir(prefix):
                raise self._missing('image folder', prefix)
            rels = []
            for root, dirs, files in os.walk(prefix, followlinks=True):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(self.extensions):
                        rels.append(osp.relpath(osp.join(root, name), prefix))
            if not rels:
                raise FileNotFoundError(f'{type(self).__name__}: no images under {prefix!r}.'
                                        + (f' Expected layout: {self.layout}.'
                                           if self.layout else ''))
        return [dict(img_path=osp.join(prefix, r), gt_label=self.label) for r in rels]


def check_disjoint(data_list: List[dict], id_name: str, show: int = 5) -> None:
    """Refuse OOD samples whose image file is also an ID sample: each would count as both a
    positive and a negative and pull AUROC towards 50 without an error (OOD sets drawn from
    the web overlap ImageNet; ``tools/ood/clean_ood_list.py`` writes a list without them)."""
    id_paths = {osp.normpath(osp.abspath(i['img_path'])) for i in data_list
                if i['ood_set'] == id_name and isinstance(i.get('img_path'), str)}
    both = [(i['ood_set'], i['img_path']) for i in data_list if i['ood_set'] != id_name
            and isinstance(i.get('img_path'), str)
            and osp.normpath(osp.abspath(i['img_path'])) in id_paths]
    if both:
        listed = '\n  '.join(f'{name}: {path}' for name, path in both[:show])
        more = f'\n  ... and {len(both) - show} more' if len(both) > show else ''
        raise ValueError(
            f'{len(both)} image(s) of the OOD sets are also in the ID set {id_name!r}:\n  '
            f'{listed}{more}\nAn image in both counts as ID and as OOD. Remove them from the '
            'OOD lists (tools/ood/clean_ood_list.py writes a list without given images).')


@DATASETS.register_module()
class OODBenchmarkDataset(BaseDataset):
    """An ID test set and named OOD sets in one dataset, for one evaluation loop.

    Every sample carries ``ood_set`` (the ID set's name or the OOD set's name, kept in the data
    sample's metainfo by ``PackInputs(meta_keys=(..., 'ood_set'))``) and ``gt_label`` (the ID
    class, -1 for OOD). One ``pipeline`` preprocesses all sets alike. ``metainfo['classes']``
    are the ID classes; ``metainfo['ood_sets']`` lists the OOD set names and
    ``metainfo['ood_groups']`` the optional near / far grouping used by ``OODMetric``.

    Args:
        id_dataset: config of the ID dataset (e.g. mmpretrain ``ImageNet``).
        ood_datasets: ``{name: dataset config}`` (e.g. :class:`ImageListDataset`).
        id_name: name of the ID set in reports.
        groups: e.g. ``dict(near=['ssb_hard', 'ninco'], far=['inaturalist', ...])``.
    """

    def __init__(self,
                 id_dataset: dict,
                 ood_datasets: Dict[str, dict],
                 id_name: str = 'ID',
                 groups: Optional[Dict[str, Sequence[str]]] = None,
                 pipeline: Sequence = (),
                 **kwargs):
        if not ood_datasets:
            raise ValueError('OODBenchmarkDataset needs at least one OOD set in ood_datasets.')
        unknown = {n for g in (groups or {}).values() for n in g} - set(ood_datasets)
        if unknown:
            raise ValueError(f'groups name OOD sets that are not in ood_datasets: '
                             f'{sorted(unknown)}; known: {sorted(ood_datasets)}.')
        self.id_cfg = dict(id_dataset)
        self.ood_cfgs = {k: dict(v) for k, v in ood_datasets.items()}
        self.id_name = id_name
        self.groups = {k: list(v) for k, v in (groups or {}).items()}
        super().__init__(pipeline=pipeline, **kwargs)

    @staticmethod
    def _build(cfg: dict):
        cfg = dict(cfg, pipeline=[])
        cfg.setdefault('lazy_init', False)
        ds = DATASETS.build(cfg)
        if getattr(ds, '_fully_initialized', True) is False:
            ds.full_init()
        return ds

    def load_data_list(self) -> List[dict]:
        id_ds = self._build(self.id_cfg)
        data_list = []
        for i in range(len(id_ds)):
            info = dict(id_ds.get_data_info(i))
            info['ood_set'] = self.id_name
            data_list.append(info)
        for name, cfg in self.ood_cfgs.items():
            ds = self._build(cfg)
            for i in range(len(ds)):
                info = dict(ds.get_data_info(i))
                info['ood_set'] = name
                info['gt_label'] = -1
                data_list.append(info)
        check_disjoint(data_list, self.id_name)
        self._metainfo.update(
            classes=tuple(id_ds.metainfo.get('classes', ())),
            id_set=self.id_name,
            ood_sets=tuple(self.ood_cfgs),
            ood_groups={k: tuple(v) for k, v in self.groups.items()})
        for j, info in enumerate(data_list):
            info['sample_idx'] = j
        return data_list
