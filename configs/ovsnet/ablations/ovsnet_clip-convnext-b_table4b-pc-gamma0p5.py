# Ablation, paper Table 4b row "gamma = 0.5" (33.6 / 16.1 / 43.7): Proxy Calibration with
# Beta(0.5, 0.5) mixing, without GFA.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none', loss_proxy=dict(gamma=0.5)))
