# Evaluation only: the OVSNet ConvNeXt-B model and the mmseg runtime with the test and validation
# loops, no training schedule. An ovsnet_clip-convnext-b_eval-*.py config adds one evaluation
# set (datasets/*_val.py).
_base_ = ['./models/ovsnet_clip-convnext-b.py', '../../_base_/default_runtime_seg.py']
test_cfg = dict(type='TestLoop')
val_cfg = dict(type='ValLoop')
