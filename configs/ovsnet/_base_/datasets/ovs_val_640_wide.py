# The OVSNet evaluation settings of ovs_val_640.py for 16-bit label maps (detectron2's uint16
# .tif, OpenBench's 16-bit .png): ids above 255 kept, 65535 ignored in loading and in the mIoU,
# no reduce_zero_label.
_base_ = ['./ovs_val_640.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadWideAnnotations', ignore_values=(65535, ), ignore_index=65535),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(reduce_zero_label=False, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(ignore_index=65535)
val_evaluator = test_evaluator
