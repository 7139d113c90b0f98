# OVSNet, CLIP ConvNeXt-B, trained on COCO-Panoptic-133 (semantic), validated on ADE-150.
#   tools/dist_train.sh configs/ovsnet/ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py 8
_base_ = [
    './_base_/models/ovsnet_clip-convnext-b.py',
    './_base_/datasets/coco_panoptic_133_train.py', './_base_/datasets/ade150_val.py',
    '../_base_/default_runtime_seg.py', './_base_/schedules/ovsnet_60k.py'
]
# the total batch (8 GPUs x 1) the learning rate is for; tools/train.py --auto-scale-lr scales it
# to the batch of a run on other GPUs (off by default, as in mmseg)
auto_scale_lr = dict(enable=False, base_batch_size=8)
