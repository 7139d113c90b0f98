# Quickstart (classification): a linear probe on the frozen tiny CLIP's last stage, trained on
# the synthetic ImageNet-style ID set on CPU.
#   python tools/train.py configs/quickstart/clip-tiny-convnext_linear_quickstart-cls.py
_base_ = ['../_base_/datasets/quickstart_cls.py', '../_base_/default_runtime_cls.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CLIPDenseBackbone',
        model_name='mmopen-tiny-convnext',
        weights='data/quickstart/tiny_clip_convnext.safetensors',
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-3, weight_decay=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=200, by_epoch=False, eta_min=1e-5)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
