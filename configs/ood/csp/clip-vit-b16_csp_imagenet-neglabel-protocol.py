# CSP (Chen et al., NeurIPS 2024): NegLabel's score over the conjugated semantic pool, zero-shot
# CLIP ViT-B/16, ImageNet-1k vs iNaturalist / SUN / Places / Textures. Mine the pool first
# (nouns + one "<adjective> <superclass>" label per adjective, CSP's templates), from CSP's word
# pool (NegLabel's lexicographer files without noun.person, noun.quantity, noun.group,
# adj.pert: its txt_exclude):
#   python tools/ood/mine_neg_labels.py --method csp --pool csp --clip-model ViT-B-16 \
#       --clip-weights checkpoints/clip/ViT-B-16.pt --id-vocab imagenet_1k_openclip \
#       --out data/neg_labels/imagenet_vit-b16_csp.txt
# (--word-lists <CSP clone>/txtfiles: the release's lists, 56,620 candidates -> 8,493 labels,
# superclasses drawn in sorted file order from seed 0; WordNet 3.0's database: 57,493 -> 8,623).
# Not matched: CSP's group permutation is drawn on the GPU (see the base model config), and its
# superclass draws follow its os.listdir order of the word lists.
#   tools/dist_test.sh configs/ood/csp/clip-vit-b16_csp_imagenet-neglabel-protocol.py none 8
# The paper reports FPR@95 17.5 (average of the four sets, hendrycks convention) for this setting.
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/models/clip-vit-b16_zero-shot-ood.py',
    '../_base_/datasets/imagenet_neglabel_protocol.py'
]
# CSP's prompt ensembles are the template sets 'csp_nouns' (ID classes, nouns) and 'csp'
model = dict(
    templates='csp_nouns',
    neg_labels='data/neg_labels/imagenet_vit-b16_csp.txt',
    neg_noun_templates='csp_nouns',
    neg_csp_templates='csp',
    scores=[dict(type='CSPScore', tau=0.01, groups=100, seed=0)])
