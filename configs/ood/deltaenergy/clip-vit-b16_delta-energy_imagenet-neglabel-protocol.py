# ΔEnergy (zero-shot, no negative labels needed) with MCM and Energy for reference, CLIP
# ViT-B/16, ImageNet-1k vs iNaturalist / SUN / Places / Textures.
#   python tools/test.py configs/ood/deltaenergy/clip-vit-b16_delta-energy_imagenet-neglabel-protocol.py none
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol.py'
]
model = dict(
    templates='imagenet80',
    neg_labels=None,
    scores=[
        dict(type='MCMScore', temperature=1.0),
        dict(type='EnergyScore', tau=0.01),
        dict(type='DeltaEnergyScore', tau=0.01, top_c=1, crop_value=0.0),
    ])
