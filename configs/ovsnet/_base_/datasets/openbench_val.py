# An OpenBench-style set written by tools/openbench/build.py (mmseg layout, its own class file
# with an "others" class): data/openbench/images/*.jpg, data/openbench/annotations/*.png
# (ids 0..C-1, 255 ignore), data/openbench/classes.txt
# evaluation at short side 640
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VocabSegDataset', vocabulary='data/openbench/classes.txt',
        reduce_zero_label=False, data_root='data/openbench',
        data_prefix=dict(img_path='images', seg_map_path='annotations'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
val_evaluator = test_evaluator
