# Ablation (paper Table 3, "baseline" / "+PC"): no GFA, queries classified directly.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none'))
