# Ablation, paper Table 3 row "Baseline" (ADE-150 33.1, PC-459 14.3, OpenBench 42.3):
# neither GFA nor Proxy Calibration; the query embeddings are classified directly.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none', loss_proxy=None))
