# Ablation (paper Table 4b): Beta(1, 1) mixing (gamma = 1).
_base_ = ['../ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py']
model = dict(decode_head=dict(loss_proxy=dict(gamma=1.0)))
custom_hooks = [
    dict(type='OpenVocabularyHook'),
    dict(type='ProxyCalibrationHook', weight=1.0, gamma=1.0),
]
