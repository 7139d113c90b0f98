# The synthetic ID / OOD sets written by `tools/misc/make_quickstart_data.py`:
# ID = data/quickstart/cls/imagenet/val (5 ImageNet classes), OOD = textures (far), shapes (near).
data_root = 'data/quickstart/cls'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=32, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs',
         meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'ood_set')),
]
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='OODBenchmarkDataset',
        id_name='quickstart-ID',
        id_dataset=dict(
            type='CustomDataset',
            data_root='data/quickstart/cls/imagenet',
            ann_file='meta/val.txt',
            data_prefix='val',
            classes='data/quickstart/cls/imagenet/meta/classes.txt'),
        ood_datasets=dict(
            shapes=dict(type='ImageListDataset', data_root='data/quickstart/cls/ood/shapes',
                        ann_file='list.txt', layout='OOD/images/*.jpg + OOD/list.txt'),
            textures=dict(type='ImageListDataset', data_root='data/quickstart/cls/ood/textures',
                          ann_file='list.txt', layout='OOD/images/*.jpg + OOD/list.txt')),
        groups=dict(near=['shapes'], far=['textures']),
        pipeline=test_pipeline))
test_evaluator = dict(type='OODMetric')
test_cfg = dict()
