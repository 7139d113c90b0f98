# GL-MCM (Miyai et al., 2023): MCM of the global embedding + lambda x the best per-patch MCM
# (local embeddings from the last block's value path), with MCM beside it (its ablation),
# zero-shot CLIP ViT-B/16, ImageNet-1k vs iNaturalist / SUN / Places / Textures. No negative
# labels. The release's ImageNet script uses lambda 0.5 and the prompt "a photo of a {}".
#   python tools/test.py configs/ood/glmcm/clip-vit-b16_gl-mcm_imagenet-neglabel-protocol.py none
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol.py'
]
model = dict(
    templates=('a photo of a {}', ),
    neg_labels=None,
    scores=[
        dict(type='MCMScore', temperature=1.0),
        dict(type='GLMCMScore', temperature=1.0, lambda_local=0.5),
    ])
