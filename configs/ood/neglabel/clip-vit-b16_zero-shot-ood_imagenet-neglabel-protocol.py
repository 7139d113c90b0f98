# NegLabel, ΔEnergy and the baseline scores, zero-shot CLIP ViT-B/16, ImageNet-1k vs
# iNaturalist / SUN / Places / Textures. No training:
#   python tools/test.py configs/ood/neglabel/clip-vit-b16_zero-shot-ood_imagenet-neglabel-protocol.py none
#   tools/dist_test.sh configs/ood/neglabel/clip-vit-b16_zero-shot-ood_imagenet-neglabel-protocol.py none 8
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol.py'
]
