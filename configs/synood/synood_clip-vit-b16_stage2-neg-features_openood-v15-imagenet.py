# SynOOD stage 2 (the default) evaluated on OpenOOD v1.5 ImageNet-1k (near: SSB-hard, NINCO;
# far: iNaturalist, Textures, OpenImage-O), both metric conventions. Train with the
# NegLabel-protocol config, test with this one (the same model, the OpenOOD test sets):
#   tools/dist_test.sh configs/synood/synood_clip-vit-b16_stage2-neg-features_openood-v15-imagenet.py \
#       last:work_dirs/synood_clip-vit-b16_stage2-neg-features_imagenet-neglabel-protocol 8
_base_ = ['../ood/neglabel/clip-vit-b16_zero-shot-ood_openood-v15-imagenet.py']
model = dict(type='SynOODClassifier',
             mined_from='data/synood/imagenet_sd2_resnet50/manifest.json',
             projection=False)
