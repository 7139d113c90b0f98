# Training: COCO-Stuff-171 (mmseg's layout and labelTrainIds maps, ids 0..170, 255 ignore):
#   data/coco_stuff164k/images/train2017/*.jpg
#   data/coco_stuff164k/annotations/train2017/*_labelTrainIds.png
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
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='VocabSegDataset',
        vocabulary='coco_stuff_171',
        data_root='data/coco_stuff164k',
        data_prefix=dict(img_path='images/train2017', seg_map_path='annotations/train2017'),
        seg_map_suffix='_labelTrainIds.png',
        reduce_zero_label=False,
        pipeline=train_pipeline))
