"""Fixtures of the tool tests."""
import os.path as osp
import textwrap

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QS_OOD = osp.join(REPO, 'configs', 'ood', 'quickstart',
                  'clip-tiny-convnext_zero-shot-ood_quickstart.py')


@pytest.fixture(scope='module')
def ood_cfg(quickstart_data, quickstart_neg_labels, tmp_path_factory):
    cls = osp.join(quickstart_data, 'cls')
    path = tmp_path_factory.mktemp('ood_cfg') / 'qs_ood.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = {QS_OOD!r}
        model = dict(
            clip=dict(weights={osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')!r}),
            vocabulary={osp.join(cls, 'imagenet', 'meta', 'classes.txt')!r},
            neg_labels={quickstart_neg_labels!r})
        # the 32 px ImageNet-style ID classes and their OOD sets (the shared test data has no
        # open world), grouped near / far
        test_dataloader = dict(dataset=dict(
            id_name='quickstart-ID',
            id_dataset=dict(data_root={osp.join(cls, 'imagenet')!r},
                            classes={osp.join(cls, 'imagenet', 'meta', 'classes.txt')!r}),
            ood_datasets=dict(
                _delete_=True,
                shapes=dict(type='ImageListDataset', ann_file='list.txt',
                            data_root={osp.join(cls, 'ood', 'shapes')!r}),
                textures=dict(type='ImageListDataset', ann_file='list.txt',
                              data_root={osp.join(cls, 'ood', 'textures')!r})),
            groups=dict(near=['shapes'], far=['textures'])))
    '''))
    return str(path)
