# AdaNeg (Zhang et al., NeurIPS 2024): test-time adaptive negative proxies over NegLabel's
# negatives, zero-shot CLIP ViT-B/16, ImageNet-1k vs iNaturalist / SUN / Places / Textures, with
# NegLabel beside it (its ablation: the same negatives without the memory).
#   tools/dist_test.sh configs/ood/adaneg/clip-vit-b16_adaneg_imagenet-neglabel-protocol.py none 8
# The image features are gathered in dataset order, then OODMetric runs one stream per OOD set
# (all 50,000 ID images and that set, shuffled with stream_seed, memory reset in between), in
# batches of 256, in the main process: the numbers do not depend on the number of GPUs. The
# result depends on the stream order: report it with the seed (and id_ood_ratio if set).
# The paper reports FPR@95 18.9 (average of the four sets) for this setting.
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol.py'
]
model = dict(
    templates=('The nice {}.', ),
    neg_noun_templates=('The nice {}.', ),
    neg_adj_templates=('This is a {} photo.', ),
    scores=[
        dict(type='NegLabelScore', tau=0.01, groups=100, seed=0),
        dict(type='AdaNegScore', tau=0.01, groups=5, seed=0, memory_size=10, threshold=0.5,
             gap=0.5, lambda_vanilla=0.1, sample_adaptive=False, batch_size=256,
             stream_seed=0, id_ood_ratio=None),
    ])
