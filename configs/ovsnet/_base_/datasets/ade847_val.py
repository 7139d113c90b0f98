# ADE20K-Full-847 validation in detectron2's layout (FC-CLIP / SAN / CAT-Seg preparation):
#   data/ADE20K_2021_17_01/images_detectron2/validation/*.jpg
#   data/ADE20K_2021_17_01/annotations_detectron2/validation/*.tif  (uint16, 0..846, 65535 ignore)
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
        type='VocabSegDataset', vocabulary='ade_847', reduce_zero_label=False,
        data_root='data/ADE20K_2021_17_01', seg_map_suffix='.tif',
        data_prefix=dict(img_path='images_detectron2/validation',
                         seg_map_path='annotations_detectron2/validation'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
val_evaluator = test_evaluator
