# Evaluate an OVSNet ConvNeXt-B checkpoint on voc20 (the vocabulary comes from the dataset):
#   python tools/test.py configs/ovsnet/ovsnet_clip-convnext-b_eval-voc20.py CHECKPOINT
_base_ = ['./_base_/ovsnet_clip-convnext-b_eval.py', './_base_/datasets/voc20_val.py']
