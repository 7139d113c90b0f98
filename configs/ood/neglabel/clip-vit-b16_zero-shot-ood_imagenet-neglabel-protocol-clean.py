# NegLabel, ΔEnergy and the baselines on the NegLabel protocol with cleaned SUN / Places /
# Textures lists (build them with tools/ood/clean_ood_list.py; see the dataset config):
#   python tools/test.py configs/ood/neglabel/clip-vit-b16_zero-shot-ood_imagenet-neglabel-protocol-clean.py none
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol_clean.py'
]
