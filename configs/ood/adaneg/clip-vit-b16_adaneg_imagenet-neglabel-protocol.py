# AdaNeg (Zhang et al., NeurIPS 2024): test-time adaptive negative proxies, zero-shot CLIP
# ViT-B/16, ImageNet-1k vs iNaturalist / SUN / Places / Textures, with NegLabel beside it (its
# ablation: the same negatives without the memory). As released (scripts/ood/adaneg/imagenet.sh):
# its own 10,000 negatives mined with the prompts it scores with, split between nouns and
# adjectives by their share of the candidates,
#   python tools/ood/mine_neg_labels.py --method adaneg --clip-model ViT-B-16 \
#       --clip-weights checkpoints/clip/ViT-B-16.pt --id-vocab imagenet_1k_openclip \
#       --out data/neg_labels/imagenet_vit-b16_adaneg.txt
# (its pool: NegLabel's lexicographer files, ID names and nouns removed from the adjectives;
# --word-lists <NegLabel clone>/txtfiles for the release's own lists); memleng 10, i.e. 9 images
# per memory (memory_size=9); the negative an image is written to chosen over all negatives
# (target_negatives='all'); beta int(5.5) = 5; the negatives stacked adjectives first, each part
# least ID-like first, and split into 5 groups by torch.randperm from seed 0 on the CPU
# generator, as the release (neg_adjectives_first). With 10,000 labels and 5 groups nothing is
# dropped, so target_negatives='all' changes nothing here; it matters for other pool sizes. Not matched: the release's stream order (an unseeded
# shuffle; here stream_seed) and its 1e-8 inside the entropy's logarithm.
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
    neg_labels='data/neg_labels/imagenet_vit-b16_adaneg.txt',
    neg_adjectives_first=True,
    templates=('The nice {}.', ),
    neg_noun_templates=('The nice {}.', ),
    neg_adj_templates=('This is a {} photo.', ),
    scores=[
        dict(type='NegLabelScore', tau=0.01, groups=100, seed=0),
        dict(type='AdaNegScore', tau=0.01, groups=5, seed=0, memory_size=9, threshold=0.5,
             gap=0.5, lambda_vanilla=0.1, sample_adaptive=False, batch_size=256,
             stream_seed=0, id_ood_ratio=None, target_negatives='all'),
    ])
