# Training: COCO-Panoptic-133 as semantic masks (detectron2's panoptic_semseg conversion):
#   data/coco/train2017/*.jpg, data/coco/panoptic_semseg_train2017/*.png (ids 0..132, 255 ignore)
crop_size = (1024, 1024)
# training crops of 1024 with flips and colour augmentation (the paper's setting)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=(4096, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=1,  # x 8 GPUs = the paper's batch of 8
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='VocabSegDataset',
        vocabulary='coco_panoptic_133',
        data_root='data/coco',
        data_prefix=dict(img_path='train2017', seg_map_path='panoptic_semseg_train2017'),
        reduce_zero_label=False,
        pipeline=train_pipeline))
