# Quickstart (SynOOD stage 1): the residual projection on the frozen tiny CLIP, cross-entropy
# over [ID prompts + mined negative labels] on the ID seeds and their synthetic images
# (configs/synood/quickstart/synood_generate_quickstart.py writes them first).
#   python tools/train.py configs/synood/quickstart/synood_clip-tiny-convnext_stage1-projection_quickstart.py
# Evaluated on the 32 px ImageNet-style ID classes it generates from and their OOD sets
# (textures: far, shapes: near).
_base_ = ['../../_base_/default_runtime_cls.py', '../../ood/_base_/datasets/quickstart_ood.py']
manifest = 'data/quickstart/synood/manifest.json'
# the negative labels the synthetic images were mined with (the generation config's): the
# quickstart's concepts the tiny CLIP knows (tools/ood/mine_neg_labels.py --candidates)
model = dict(
    type='SynOODClassifier',
    clip=dict(model_name='mmopen-tiny-convnext',
              weights='data/quickstart/tiny_clip_convnext.safetensors'),
    vocabulary='data/quickstart/cls/imagenet/meta/classes.txt',
    templates=('the nice {}', ),
    neg_labels='data/quickstart/cls/neg_labels_known.txt',
    mined_from=manifest,
    projection=True,
    train_stage=1,
    scores=[
        dict(type='MSPScore'),
        dict(type='MaxLogitScore'),
        dict(type='EnergyScore'),
        dict(type='MCMScore'),
        dict(type='NegLabelScore', groups=1),
        dict(type='DeltaEnergyScore'),
    ])
# a horizontal flip, unlike the release's fixed preprocessing (the ImageNet configs have none):
# the quickstart's setting from the start, not measured against the release's
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=32, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SynOODDataset', manifest=manifest, parts=('id', 'synthetic'),
                 pipeline=train_pipeline))
# the paper's stage-1 optimiser (Adam 1e-3, wd 1e-5, cosine to 1e-5), for a few epochs
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=20, by_epoch=True, eta_min=1e-5,
                        convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=100)
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=20))
