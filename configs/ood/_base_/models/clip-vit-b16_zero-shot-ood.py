# Zero-shot CLIP ViT-B/16 (OpenAI weights, a local file) over the ImageNet-1k vocabulary, with
# every OOD score. Released settings: the class list the releases score over
# (imagenet_1k_openclip, 'missile' and 'sunglasses' repeated; the deduplicated imagenet_1k
# changes two classes), and NegLabel's word pool (its lexicographer files: no noun.animal /
# noun.food; ID names kept as candidates), mined for this model:
#   python tools/ood/mine_neg_labels.py --clip-model ViT-B-16 \
#       --clip-weights checkpoints/clip/ViT-B-16.pt --id-vocab imagenet_1k_openclip \
#       --pool neglabel --out data/neg_labels/imagenet_vit-b16.txt
# (add --word-lists <NegLabel clone>/txtfiles for the release's own lists: 70,000 candidates,
# 10,499 negatives; WordNet 3.0's database gives 70,794 and 10,618). Not matched: NegLabel
# draws its group permutation (torch.randperm, seed 0) on the GPU; here it is drawn on the CPU,
# so the 100 groups differ (the score's mean over groups differs by a little, not its law).
model = dict(
    type='CLIPOODClassifier',
    clip=dict(model_name='ViT-B-16', weights='checkpoints/clip/ViT-B-16.pt'),
    vocabulary='imagenet_1k_openclip',
    templates=('the nice {}', ),
    neg_labels='data/neg_labels/imagenet_vit-b16.txt',
    neg_noun_templates=('the nice {}', ),
    neg_adj_templates=('This is a {} photo', ),
    scores=[
        dict(type='MSPScore', tau=0.01),
        dict(type='MaxLogitScore', tau=0.01),
        dict(type='EnergyScore', tau=0.01, temperature=1.0),
        dict(type='MCMScore', temperature=1.0),
        dict(type='NegLabelScore', tau=0.01, groups=100, seed=0),
        dict(type='DeltaEnergyScore', tau=0.01, top_c=1, crop_value=0.0),
    ])
