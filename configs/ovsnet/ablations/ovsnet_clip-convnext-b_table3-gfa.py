# Ablation, paper Table 3 row "+ GFA" (34.7 / 16.0 / 43.7), also Table 4a row "GFA":
# GFA without Proxy Calibration.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(loss_proxy=None))
