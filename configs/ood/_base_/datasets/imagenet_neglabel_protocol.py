# ImageNet-1k (ID) with iNaturalist, SUN, Places and Textures (OOD): the protocol of MOS, MCM,
# NegLabel and SynOOD. Expected layout (paths relative to the working directory):
#   data/imagenet/val/<wnid>/*.JPEG, data/imagenet/meta/val.txt     (mmpretrain's ImageNet)
#   data/ood/iNaturalist/images/*.jpg   (10,000 images, MOS split)
#   data/ood/SUN/images/*.jpg           (10,000)
#   data/ood/Places/images/*.jpg        (10,000)
#   data/ood/dtd/images/<texture>/*.jpg (5,640, all of DTD)
# Preprocessing as the reference code: short side 224 (bicubic), centre crop 224, CLIP mean/std
# (set in the model's data preprocessor).
interpolation = 'bicubic'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow',
         interpolation=interpolation),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'ood_set')),
]


def _ood(name, folder):
    return dict(type='ImageListDataset', data_root='data/ood', data_prefix=folder,
                layout=f'data/ood/{folder}/**/*.jpg ({name} OOD set)')


test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='OODBenchmarkDataset',
        id_name='ImageNet',
        id_dataset=dict(type='ImageNet', data_root='data/imagenet', split='val'),
        ood_datasets=dict(
            iNaturalist=_ood('iNaturalist', 'iNaturalist/images'),
            SUN=_ood('SUN', 'SUN/images'),
            Places=_ood('Places', 'Places/images'),
            Textures=_ood('Textures', 'dtd/images')),
        pipeline=test_pipeline))
test_evaluator = dict(type='OODMetric')
test_cfg = dict()
