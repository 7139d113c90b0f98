# Ablation (paper Table 3, "baseline"): neither GFA nor Proxy Calibration.
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(fusion='none', loss_proxy=None))
custom_hooks = [dict(type='OpenVocabularyHook')]
