# Quickstart (OOD detection): the zero-shot CLIP OOD classifier over the tiny CLIP, every score
# (MSP, MaxLogit, Energy, MCM, NegLabel, ΔEnergy, GL-MCM, AdaNeg), on the quickstart's open world
# (configs/ood/_base_/datasets/quickstart_world.py): ID = 6 object classes, near-OOD and far-OOD
# sets of objects the tiny CLIP was pre-trained on but the ID labels do not name. No training:
#   python tools/test.py configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py none
# (add --csv / --markdown / --save-scores DIR for leaderboard files and the raw scores).
# NegLabel's negatives are mined from the world's lexicon (WordNet's file format: 23 nouns, 13
# adjectives) with the tool and settings of a real run, except the share kept: half of each part
# of speech (--ratio 0.5: 15% of this lexicon would be 4 words, the paper's 15% of WordNet is
# about 10,000), scored in one group (the paper's grouping splits 10,000 words into 100 groups).
# AdaNeg runs its test stream (96 ID + 64 OOD images per set, seed 0) in batches of 16 here, so
# its memory is written and read over 10 batches (the release's 256 would be one batch).
_base_ = ['../../_base_/default_runtime_cls.py', '../_base_/datasets/quickstart_world.py']
model = dict(
    type='CLIPOODClassifier',
    clip=dict(model_name='mmopen-tiny-convnext',
              weights='data/quickstart/tiny_clip_convnext.safetensors'),
    vocabulary='data/quickstart/world/id/meta/classes.txt',
    templates=('the nice {}', ),
    neg_labels='data/quickstart/world/neg_labels.txt',
    scores=[
        dict(type='MSPScore'),
        dict(type='MaxLogitScore'),
        dict(type='EnergyScore'),
        dict(type='MCMScore'),
        dict(type='NegLabelScore', groups=1),
        dict(type='DeltaEnergyScore'),
        dict(type='GLMCMScore'),
        dict(type='AdaNegScore', batch_size=16),
    ])
