# OVSNet, CLIP ConvNeXt-L (open_clip convnext_large_d_320), COCO-Panoptic-133, 60k iterations.
_base_ = ['./ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
clip = dict(model_name='convnext_large_d_320',
            weights='checkpoints/clip/convnext_large_d_320/open_clip_pytorch_model.bin')
model = dict(
    backbone=clip,
    decode_head=dict(in_channels=[192, 384, 768, 1536]))
