"""The OOD datasets: the benchmark configs read the documented on-disk layouts (built here in
small), and missing folders give errors that name the expected layout."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(REPO, 'configs', 'ood', '_base_', 'datasets')


def _img(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(path)


def _build(cfg_name, root, monkeypatch):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import DATASETS

    cfg = Config.fromfile(osp.join(BASE, cfg_name))
    monkeypatch.chdir(root)
    init_default_scope('mmpretrain')
    return DATASETS.build(cfg.test_dataloader.dataset)


def test_neglabel_protocol_layout(tmp_path, monkeypatch):
    for i, wnid in enumerate(['n01440764', 'n01443537']):
        _img(str(tmp_path / 'data/imagenet/val' / wnid / f'{wnid}_0.JPEG'))
    os.makedirs(tmp_path / 'data/imagenet/meta')
    (tmp_path / 'data/imagenet/meta/val.txt').write_text(
        'n01440764/n01440764_0.JPEG 0\nn01443537/n01443537_0.JPEG 1\n')
    for folder, n in (('iNaturalist/images', 3), ('SUN/images', 2), ('Places/images', 1)):
        for j in range(n):
            _img(str(tmp_path / 'data/ood' / folder / f'{j}.jpg'))
    _img(str(tmp_path / 'data/ood/dtd/images/banded/banded_0001.jpg'))
    _img(str(tmp_path / 'data/ood/dtd/images/zigzagged/z_0001.jpg'))
    ds = _build('imagenet_neglabel_protocol.py', tmp_path, monkeypatch)
    sets = [ds.get_data_info(i)['ood_set'] for i in range(len(ds))]
    assert {s: sets.count(s) for s in set(sets)} == dict(ImageNet=2, iNaturalist=3, SUN=2,
                                                          Places=1, Textures=2)
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 224, 224)
    assert sample['data_samples'].ood_set == 'ImageNet'


def test_neglabel_protocol_missing_set_names_layout(tmp_path, monkeypatch):
    os.makedirs(tmp_path / 'data/imagenet/meta')
    _img(str(tmp_path / 'data/imagenet/val/n01440764/a.JPEG'))
    (tmp_path / 'data/imagenet/meta/val.txt').write_text('n01440764/a.JPEG 0\n')
    with pytest.raises(FileNotFoundError, match=r'data/ood/iNaturalist/images/\*\*/\*\.jpg'):
        _build('imagenet_neglabel_protocol.py', tmp_path, monkeypatch)


def test_openood_v15_layout(tmp_path, monkeypatch):
    root = tmp_path / 'data/openood/images_largescale'
    lists = tmp_path / 'data/openood/benchmark_imglist/imagenet'
    os.makedirs(lists)
    _img(str(root / 'imagenet_1k/val/a.JPEG'))
    (lists / 'test_imagenet.txt').write_text('imagenet_1k/val/a.JPEG 7\n')
    for name in ('ssb_hard', 'ninco', 'inaturalist', 'textures', 'openimage_o'):
        _img(str(root / name / 'x.jpg'))
        (lists / f'test_{name}.txt').write_text(f'{name}/x.jpg 0\n')
    ds = _build('openood_v15_imagenet.py', tmp_path, monkeypatch)
    assert len(ds) == 6
    assert ds.get_data_info(0)['gt_label'] == 7 and ds.get_data_info(1)['gt_label'] == -1
    assert ds.metainfo['ood_groups'] == dict(near=('ssb_hard', 'ninco'),
                                             far=('inaturalist', 'textures', 'openimage_o'))


def test_benchmark_dataset_and_layout_errors(quickstart_data, tmp_path):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    cls = osp.join(quickstart_data, 'cls')
    ds = DATASETS.build(dict(
        type='OODBenchmarkDataset',
        id_dataset=dict(type='CustomDataset', data_root=osp.join(cls, 'imagenet'),
                        ann_file='meta/val.txt', data_prefix='val',
                        classes=osp.join(cls, 'imagenet', 'meta', 'classes.txt')),
        ood_datasets=dict(textures=dict(type='ImageListDataset',
                                        data_root=osp.join(cls, 'ood', 'textures'),
                                        ann_file='list.txt'),
                          shapes=dict(type='ImageListDataset',
                                      data_prefix=osp.join(cls, 'ood', 'shapes', 'images'))),
        groups=dict(far=['textures'])))
    sets = [ds.get_data_info(i)['ood_set'] for i in range(len(ds))]
    assert sets.count('ID') == 20 and sets.count('textures') == 8 and sets.count('shapes') == 8
    assert all(ds.get_data_info(i)['gt_label'] == -1 for i in range(20, 36))
    assert ds.metainfo['classes'][0] == 'tench' and ds.metainfo['ood_groups'] == {
        'far': ('textures', )}
    with pytest.raises(FileNotFoundError, match='Expected layout: SUN/images'):
        DATASETS.build(dict(type='ImageListDataset', data_root=str(tmp_path),
                            data_prefix='SUN/images', layout='SUN/images/*.jpg'))
    with pytest.raises(ValueError, match='not in ood_datasets'):
        DATASETS.build(dict(type='OODBenchmarkDataset', id_dataset=dict(type='CustomDataset'),
                            ood_datasets=dict(a=dict()), groups=dict(near=['b'])))
