# An example of using the CLIP core in a stock mmseg model: the frozen tiny quickstart CLIP as
# the backbone of a SegFormer head, trained on all 8 classes of the synthetic segmentation set
# (closed vocabulary) on CPU in under a minute.
#   python tools/train.py configs/quickstart/clip-tiny-convnext_segformer_quickstart-seg.py
_base_ = [
    '../_base_/models/clip_tiny_segformer.py', '../_base_/datasets/quickstart_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/quickstart_iter.py'
]
