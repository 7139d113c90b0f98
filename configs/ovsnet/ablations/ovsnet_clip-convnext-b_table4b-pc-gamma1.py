# Ablation, paper Table 4b row "gamma = 1" (33.1 / 14.3 / 42.3, which the paper reports equal to
# the baseline): Proxy Calibration with uniform Beta(1, 1) mixing, without GFA.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none', loss_proxy=dict(gamma=1.0)))
