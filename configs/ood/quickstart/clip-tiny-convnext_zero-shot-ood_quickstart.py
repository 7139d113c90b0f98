# Quickstart (OOD detection): the zero-shot CLIP OOD classifier over the tiny CLIP, every
# score (MSP, MaxLogit, Energy, MCM, NegLabel, ΔEnergy, GL-MCM, AdaNeg), ID = the synthetic
# ImageNet-style classes, OOD = synthetic textures and unseen shapes. No training: evaluate with
#   python tools/test.py configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py none
# (add --csv / --markdown / --save-scores DIR for leaderboard files and the raw scores).
# AdaNeg runs its test stream (80 ID + 48 OOD images per OOD set, seed 0) in batches of 16 here,
# so its memory is written and read over 8 batches (the release's 256 would be one batch).
# The tiny quickstart CLIP knows only the quickstart's 13 concepts and none of the WordNet words
# NegLabel mines, so the scores are near chance here: the run shows the pipeline, not the methods.
_base_ = ['../../_base_/default_runtime_cls.py', '../_base_/datasets/quickstart_ood.py']
model = dict(
    type='CLIPOODClassifier',
    clip=dict(model_name='mmopen-tiny-convnext',
              weights='data/quickstart/tiny_clip_convnext.safetensors'),
    vocabulary='data/quickstart/cls/imagenet/meta/classes.txt',
    templates=('the nice {}', ),
    neg_labels='data/quickstart/cls/neg_labels.txt',
    scores=[
        dict(type='MSPScore'),
        dict(type='MaxLogitScore'),
        dict(type='EnergyScore'),
        dict(type='MCMScore'),
        dict(type='NegLabelScore', groups=10),
        dict(type='DeltaEnergyScore'),
        dict(type='GLMCMScore'),
        dict(type='AdaNegScore', batch_size=16),
    ])
