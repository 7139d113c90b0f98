# Quickstart: a frozen tiny CLIP (random weights from `make quickstart`) with a SegFormer head,
# trained on the synthetic segmentation set on CPU in about two minutes.
#   python tools/train.py configs/quickstart/clip-tiny-convnext_segformer_quickstart-seg.py
_base_ = [
    '../_base_/models/clip_tiny_segformer.py', '../_base_/datasets/quickstart_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/quickstart_iter.py'
]
