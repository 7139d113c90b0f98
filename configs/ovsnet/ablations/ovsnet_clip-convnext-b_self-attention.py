# Ablation (paper Table 4a): learned self-attention fusion over [queries; CLIP features].
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='self_attention'))
