# Open-set domain generalisation data at 224 px (leave-one-domain-out): training and model
# selection on the source domains (known classes; a seeded 10% of each class held out for
# validation), testing on the target domain (known classes + "unknown"). The benchmark config
# sets `benchmark`, `data_root` and `target_domain` in all three loaders.
osdg = dict(type='OSDGDataset', holdout_fraction=0.1, seed=0)
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'domain')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.5, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,  # per GPU: 32 on the 4 GPUs of the configs' commands
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(osdg, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(osdg, split='val', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(osdg, split='test', pipeline=test_pipeline))
# validation on held-out source data has no unknowns: it reports known / closed-set accuracy
val_evaluator = dict(type='OSDGMetric')
test_evaluator = dict(type='OSDGMetric')
