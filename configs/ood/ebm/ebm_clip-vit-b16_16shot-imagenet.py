# ΔEnergy's EBM: CoOp prompt tuning (16 context vectors) of a frozen CLIP ViT-B/16 with
# cross-entropy + the ΔEnergy lower-bound term, 16-shot ImageNet-1k, CRoFT-style schedule
# (SGD lr 2e-3, 1 warm-up epoch, cosine, batch 32), evaluated on the NegLabel protocol.
#   tools/dist_train.sh configs/ood/ebm/ebm_clip-vit-b16_16shot-imagenet.py 1
#   python tools/test.py configs/ood/ebm/ebm_clip-vit-b16_16shot-imagenet.py \
#       last:work_dirs/ebm_clip-vit-b16_16shot-imagenet
_base_ = [
    '../../_base_/default_runtime_cls.py', '../_base_/datasets/imagenet_neglabel_protocol.py'
]
shots = 16
epochs = 50
model = dict(
    type='EBMPromptClassifier',
    clip=dict(model_name='ViT-B-16', weights='checkpoints/clip/ViT-B-16.pt'),
    vocabulary='imagenet_1k',
    n_ctx=16,
    tau=0.01,
    ebm_weight=1.0,
    ebm_top_c=1,
    scores=[
        dict(type='MSPScore'), dict(type='MCMScore'), dict(type='EnergyScore'),
        dict(type='DeltaEnergyScore')
    ])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='FewShotDataset',
        shots=shots,
        seed=1,
        dataset=dict(type='ImageNet', data_root='data/imagenet', split='train'),
        pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=2e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='ConstantLR', factor=1e-5 / 2e-3, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=epochs - 1, by_epoch=True, begin=1, end=epochs,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs + 1)
val_cfg = None
val_dataloader = None
val_evaluator = None
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2),
    logger=dict(type='LoggerHook', interval=50))
log_processor = dict(by_epoch=True)
