# The quickstart's open world for zero-shot OOD detection, written by
# `tools/misc/make_quickstart_data.py` (mmopen/quickstart/ood_world.py): 96 px images of one object
# on part of a scene. ID = 6 object classes on the ID scenes (data/quickstart/world/id);
# near = 6 near-OOD objects (each shares a shape with one ID class and a colour with another)
# on the ID scenes; far = 5 far-OOD objects on scenes no ID image shows.
data_root = 'data/quickstart/world'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=96, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=96),
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
        id_name='quickstart-world-ID',
        id_dataset=dict(
            type='CustomDataset',
            data_root='data/quickstart/world/id',
            ann_file='meta/val.txt',
            data_prefix='val',
            classes='data/quickstart/world/id/meta/classes.txt'),
        ood_datasets=dict(
            near=dict(type='ImageListDataset', data_root='data/quickstart/world/ood/near',
                      ann_file='list.txt', layout='OOD/images/*.jpg + OOD/list.txt'),
            far=dict(type='ImageListDataset', data_root='data/quickstart/world/ood/far',
                     ann_file='list.txt', layout='OOD/images/*.jpg + OOD/list.txt')),
        pipeline=test_pipeline))
test_evaluator = dict(type='OODMetric')
test_cfg = dict()
