# Ablation, paper Table 3 row "+ PC" (33.9 / 17.2 / 44.3), also Table 4b row "gamma = 2":
# Proxy Calibration (Beta(2, 2)) without GFA. With no fusion the loss is L_PQ alone.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none'))
