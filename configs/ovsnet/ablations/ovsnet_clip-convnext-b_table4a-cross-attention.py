# Ablation, paper Table 4a row "Cross Attn" (34.2 / 14.8 / 41.2): learned cross-attention from
# the queries to the pooled CLIP features instead of GFA, without Proxy Calibration.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='cross_attention', loss_proxy=None))
