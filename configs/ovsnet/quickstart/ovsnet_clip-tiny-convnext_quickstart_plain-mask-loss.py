# The OVSNet quickstart's ablation "plain mask loss": Mask2Former's point-sampled mask BCE,
# dice and matching costs as mmdet computes them, where the pixels of the 2 held-out classes
# (labelled ignore in training) count as background of every mask, so every query is taught
# to cut those objects out. Everything else as the quickstart:
#   python tools/train.py configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_plain-mask-loss.py
_base_ = ['./ovsnet_clip-tiny-convnext_quickstart.py']
model = dict(decode_head=dict(ignore_aware_mask_loss=False))
