# Evaluate an OVSNet ConvNeXt-B checkpoint on ade150 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-ade150.py CHECKPOINT
_base_ = ['./_base_/ovsnet_clip-convnext-b_eval.py', './_base_/datasets/ade150_val.py']
