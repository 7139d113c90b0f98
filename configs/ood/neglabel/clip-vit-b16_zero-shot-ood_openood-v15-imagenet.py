# The same scores on OpenOOD v1.5 ImageNet-1k (near: SSB-hard, NINCO; far: iNaturalist,
# Textures, OpenImage-O), reported in both conventions with near / far averages.
#   python tools/test.py configs/ood/neglabel/clip-vit-b16_zero-shot-ood_openood-v15-imagenet.py none
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/openood_v15_imagenet.py'
]
