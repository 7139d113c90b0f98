# Evaluate an OVSNet ConvNeXt-B checkpoint on ade847 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-ade847.py CHECKPOINT
_base_ = [
    './_base_/models/ovsnet_clip-convnext-b.py', './_base_/datasets/ade847_val.py',
    '../_base_/default_runtime_seg.py'
]
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
