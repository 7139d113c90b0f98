# Zero-shot CLIP ViT-B/16 (OpenAI weights, a local file) over the ImageNet-1k vocabulary, with
# every OOD score. NegLabel needs the negative labels mined for this model:
#   python tools/ood/mine_neg_labels.py --clip-model ViT-B-16 \
#       --clip-weights checkpoints/clip/ViT-B-16.pt --id-vocab imagenet_1k \
#       --out data/neg_labels/imagenet_vit-b16.txt
model = dict(
    type='CLIPOODClassifier',
    clip=dict(model_name='ViT-B-16', weights='checkpoints/clip/ViT-B-16.pt'),
    vocabulary='imagenet_1k',
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
