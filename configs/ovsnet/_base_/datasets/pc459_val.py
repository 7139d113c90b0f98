# Pascal Context-459 validation in detectron2's layout (FC-CLIP / SAN preparation):
#   data/pascal_ctx_d2/images/validation/*.jpg
#   data/pascal_ctx_d2/annotations_ctx459/validation/*.tif  (uint16, 0..458, 65535 ignore)
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
        type='VocabSegDataset', vocabulary='pascal_context_459', reduce_zero_label=False,
        data_root='data/pascal_ctx_d2', seg_map_suffix='.tif',
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations_ctx459/validation'),
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
val_evaluator = test_evaluator
