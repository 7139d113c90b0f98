# What the OVSNet evaluation sets share: evaluation at short side 640, one image per GPU, the
# vocabulary from the dataset (VocabSegDataset), mIoU. For 8-bit label maps with 0 = unlabelled
# (reduce_zero_label); ovs_val_640_wide.py is the variant for 16-bit maps with 65535 ignore.
# A set's config adds its vocabulary, data_root and layout to test_dataloader.dataset (and
# repeats val_dataloader = test_dataloader).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VocabSegDataset', reduce_zero_label=True, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
val_evaluator = test_evaluator
