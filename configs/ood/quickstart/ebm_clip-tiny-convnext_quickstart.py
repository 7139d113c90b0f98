# Quickstart (ΔEnergy EBM prompt tuning): CoOp context vectors over the frozen tiny CLIP,
# trained with CE + the ΔEnergy lower-bound term on 4 shots per class of the synthetic
# ImageNet-style training set, then evaluated on the synthetic ID / OOD sets.
#   python tools/train.py configs/ood/quickstart/ebm_clip-tiny-convnext_quickstart.py
#   python tools/test.py configs/ood/quickstart/ebm_clip-tiny-convnext_quickstart.py \
#       last:work_dirs/ebm_clip-tiny-convnext_quickstart
_base_ = ['../../_base_/default_runtime_cls.py', '../_base_/datasets/quickstart_ood.py']
model = dict(
    type='EBMPromptClassifier',
    clip=dict(model_name='mmopen-tiny-convnext',
              weights='data/quickstart/tiny_clip_convnext.safetensors'),
    vocabulary='data/quickstart/cls/imagenet/meta/classes.txt',
    n_ctx=4,
    tau=0.01,
    ebm_weight=1.0)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='FewShotDataset',
        shots=4,
        dataset=dict(
            type='CustomDataset',
            data_root='data/quickstart/cls/imagenet',
            ann_file='meta/train.txt',
            data_prefix='train',
            classes='data/quickstart/cls/imagenet/meta/classes.txt'),
        pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=2e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=25, by_epoch=False, begin=5, end=30, eta_min=1e-5),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30)
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=30))
