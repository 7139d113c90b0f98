# OpenOOD v1.5, ImageNet-1k: near-OOD SSB-hard and NINCO, far-OOD iNaturalist, Textures and
# OpenImage-O. Expected layout (OpenOOD's download script):
#   data/openood/images_largescale/<set>/...                      images
#   data/openood/benchmark_imglist/imagenet/test_imagenet.txt     "imagenet_1k/val/x.JPEG label"
#   data/openood/benchmark_imglist/imagenet/test_{ssb_hard,ninco,inaturalist,textures,
#                                                   openimage_o}.txt
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'ood_set')),
]
_root = 'data/openood/images_largescale'
_lists = '../benchmark_imglist/imagenet'


def _ood(name):
    return dict(type='ImageListDataset', data_root=_root, ann_file=f'{_lists}/test_{name}.txt',
                layout=f'data/openood/benchmark_imglist/imagenet/test_{name}.txt listing '
                f'images under data/openood/images_largescale/')


test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='OODBenchmarkDataset',
        id_name='ImageNet',
        id_dataset=dict(type='CustomDataset', data_root=_root,
                        ann_file=f'{_lists}/test_imagenet.txt', with_label=True),
        ood_datasets=dict(
            ssb_hard=_ood('ssb_hard'), ninco=_ood('ninco'), inaturalist=_ood('inaturalist'),
            textures=_ood('textures'), openimage_o=_ood('openimage_o')),
        groups=dict(near=['ssb_hard', 'ninco'],
                    far=['inaturalist', 'textures', 'openimage_o']),
        pipeline=test_pipeline))
test_evaluator = dict(type='OODMetric')
test_cfg = dict()
