# PASCAL VOC-20 validation (background ignored): data/VOCdevkit/VOC2012/JPEGImages/*.jpg,
# .../SegmentationClass/*.png (0 = background, 1..20 classes, 255 boundary),
# split ImageSets/Segmentation/val.txt
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
        type='VocabSegDataset', vocabulary='voc_20', reduce_zero_label=True,
        data_root='data/VOCdevkit/VOC2012', ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
val_evaluator = test_evaluator
