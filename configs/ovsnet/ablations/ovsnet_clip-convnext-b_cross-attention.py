# Ablation (paper Table 4a): learned cross-attention fusion instead of GFA.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='cross_attention'))
