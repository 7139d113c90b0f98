# Ablation (paper Table 3, "+GFA"): GFA without Proxy Calibration.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(loss_proxy=None))
custom_hooks = [dict(type='OpenVocabularyHook')]
