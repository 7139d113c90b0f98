# Evaluate an OVSNet ConvNeXt-B checkpoint on ade847 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-ade847.py CHECKPOINT
_base_ = ['./_base_/ovsnet_clip-convnext-b_eval.py', './_base_/datasets/ade847_val.py']
