# Evaluate an OVSNet ConvNeXt-B checkpoint on pc59 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-pc59.py CHECKPOINT
_base_ = ['./_base_/ovsnet_clip-convnext-b_eval.py', './_base_/datasets/pc59_val.py']
