# Pascal Context-59 validation (mmseg layout): data/VOCdevkit/VOC2010/JPEGImages/*.jpg,
# .../SegmentationClassContext/*.png (0 = background, classes 1..59), split ImageSets/SegmentationContext/val.txt
# evaluation at short side 640
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VocabSegDataset', vocabulary='pascal_context_59', reduce_zero_label=True,
        data_root='data/VOCdevkit/VOC2010', ann_file='ImageSets/SegmentationContext/val.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
val_evaluator = test_evaluator
