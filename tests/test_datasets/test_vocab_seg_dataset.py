"""VocabSegDataset: classes from a vocabulary, labels mapped from an annotation vocabulary
(unseen classes ignored), folders that mix image formats."""
import os

import numpy as np
import pytest
from PIL import Image

import mmopen  # noqa: F401


def _folder(root, stems_exts, size=8):
    os.makedirs(root / 'img')
    os.makedirs(root / 'ann')
    for i, (stem, ext) in enumerate(stems_exts):
        Image.fromarray(np.full((size, size, 3), 40 * i, np.uint8)).save(
            root / 'img' / (stem + ext))
        label = np.zeros((size, size), np.uint8)
        for k in range(4):  # labels 1..4 (0 = unlabelled), one column block each
            label[:, 2 * k:2 * k + 2] = k + 1
        Image.fromarray(label).save(root / 'ann' / (stem + '.png'))


def _build(root, **kwargs):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations',
                                                     reduce_zero_label=True),
                dict(type='PackSegInputs')]
    return DATASETS.build(dict(type='VocabSegDataset', data_root=str(root),
                               data_prefix=dict(img_path='img', seg_map_path='ann'),
                               pipeline=pipeline, **kwargs))


ANNOTATED = ['wall', 'kite', 'sofa, couch', 'tire']


def test_training_on_a_subset_ignores_the_other_classes(tmp_path):
    _folder(tmp_path, [('a', '.jpg')])
    ds = _build(tmp_path, vocabulary=['sofa, couch', 'wall'], annotation_vocabulary=ANNOTATED)
    assert ds.metainfo['classes'] == ('sofa', 'wall')
    gt = ds[0]['data_samples'].gt_sem_seg.data[0]
    # annotated wall (1) -> 1, kite (2) -> ignored, sofa (3) -> 0, tire (4) -> ignored
    assert gt[0, :8].tolist() == [1, 1, 255, 255, 0, 0, 255, 255]
    assert ds.held_out_classes == ['kite', 'tire']  # what the ignore-aware losses skip
    same = _build(tmp_path, vocabulary=ANNOTATED, annotation_vocabulary=ANNOTATED)
    assert same.label_map is None and same.held_out_classes == []
    with pytest.raises(ValueError, match="'boat'.*not in the annotation vocabulary"):
        _build(tmp_path, vocabulary=['boat', 'wall'], annotation_vocabulary=ANNOTATED)


def test_several_image_suffixes(tmp_path):
    _folder(tmp_path, [('a', '.jpg'), ('b', '.png'), ('c', '.jpeg')])
    assert len(_build(tmp_path, vocabulary=ANNOTATED)) == 1  # '.jpg' only, as mmseg
    ds = _build(tmp_path, vocabulary=ANNOTATED, img_suffix=('.jpg', '.png', '.jpeg'))
    assert [os.path.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == [
        'a.jpg', 'b.png', 'c.jpeg']
    assert ds[1]['data_samples'].gt_sem_seg.data.shape == (1, 8, 8)


def test_wide_annotations_apply_the_label_map(tmp_path):
    from mmopen.datasets import LoadWideAnnotations
    label = np.array([[0, 1, 300], [2, 300, 65535]], np.uint16)
    Image.fromarray(label).save(tmp_path / 'l.png')
    out = LoadWideAnnotations(reduce_zero_label=True)(dict(
        seg_map_path=str(tmp_path / 'l.png'), seg_fields=[], label_map={0: 5, 299: 7, 1: 65535}))
    assert out['gt_seg_map'].tolist() == [[65535, 5, 7], [65535, 7, 65535]]
