# Evaluate an OVSNet ConvNeXt-B checkpoint on openbench (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-openbench.py CHECKPOINT
_base_ = [
    './_base_/models/ovsnet_clip-convnext-b.py', './_base_/datasets/openbench_val.py',
    '../_base_/default_runtime_seg.py'
]
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
