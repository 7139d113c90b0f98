# Ablation, paper Table 4a row "Self Attn" (34.0 / 14.7 / 40.6): learned self-attention over
# [queries; pooled CLIP features] instead of GFA, without Proxy Calibration (as the "GFA" row
# it is compared with, Table 3 "+ GFA").
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='self_attention', loss_proxy=None))
