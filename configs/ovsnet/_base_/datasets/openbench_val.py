# An OpenBench-style set written by tools/openbench/build.py (mmseg layout, its own class file
# with an "others" class last): data/openbench/images/* (the sources' own formats: .jpg, .png,
# ...), data/openbench/annotations/*.png (16-bit: ids 0..C-1, 65535 ignore; the paper's
# OpenBench has 286 classes + "others"), data/openbench/classes.txt
# evaluation at short side 640
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadWideAnnotations', ignore_values=(65535, ), ignore_index=65535),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VocabSegDataset', vocabulary='data/openbench/classes.txt',
        reduce_zero_label=False, ignore_index=65535, data_root='data/openbench',
        img_suffix=('.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG'),
        data_prefix=dict(img_path='images', seg_map_path='annotations'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
val_evaluator = test_evaluator
