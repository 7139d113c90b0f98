# Evaluate an OVSNet ConvNeXt-B checkpoint on ade150 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-ade150.py CHECKPOINT
_base_ = [
    './_base_/models/ovsnet_clip-convnext-b.py', './_base_/datasets/ade150_val.py',
    '../_base_/default_runtime_seg.py'
]
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
