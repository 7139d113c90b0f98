"""OVS evaluation sets read their documented layouts; 16-bit label maps keep ids above 255."""
import os
import os.path as osp

import numpy as np
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(REPO, 'configs', 'ovsnet', '_base_', 'datasets')


def test_ade847_layout_and_wide_labels(tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.registry import DATASETS

    img_dir = tmp_path / 'data/ADE20K_2021_17_01/images_detectron2/validation'
    ann_dir = tmp_path / 'data/ADE20K_2021_17_01/annotations_detectron2/validation'
    os.makedirs(img_dir)
    os.makedirs(ann_dir)
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(img_dir / 'a.jpg')
    label = np.zeros((20, 30), np.uint16)
    label[:, :10] = 300
    label[:, 10:20] = 846
    label[:, 20:] = 65535
    Image.fromarray(label).save(ann_dir / 'a.tif')
    cfg = Config.fromfile(osp.join(BASE, 'ade847_val.py'))
    monkeypatch.chdir(tmp_path)
    init_default_scope('mmseg')
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 1 and len(ds.metainfo['classes']) == 847
    gt = ds[0]['data_samples'].gt_sem_seg.data
    assert set(gt.unique().tolist()) == {300, 846, 65535}
    assert cfg.test_evaluator.ignore_index == 65535
