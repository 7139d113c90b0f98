# Evaluate an OVSNet ConvNeXt-B checkpoint on pc459 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-pc459.py CHECKPOINT
_base_ = ['./_base_/ovsnet_clip-convnext-b_eval.py', './_base_/datasets/pc459_val.py']
