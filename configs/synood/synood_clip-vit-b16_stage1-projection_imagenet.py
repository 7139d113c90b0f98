# SynOOD stage 1 on ImageNet-1k (paper §3.4): a residual projection on the frozen CLIP ViT-B/16
# image encoder, cross-entropy over [1000 ID prompts + the mined negative labels] on the 50,000
# ID seeds and their synthetic images. Adam lr 1e-3, wd 1e-5, cosine to 1e-5, 3 epochs, batch
# 128 (8 GPUs x 16). Generate the data first (configs/synood/generate/), then:
#   tools/dist_train.sh configs/synood/synood_clip-vit-b16_stage1-projection_imagenet.py 8
_base_ = ['../ood/neglabel/clip-vit-b16_zero-shot-ood_imagenet-neglabel-protocol.py']
manifest = 'data/synood/imagenet_sd2_resnet50/manifest.json'
model = dict(type='SynOODClassifier', mined_from=manifest, projection=True, train_stage=1)
# CLIP's fixed preprocessing, as the release trains both stages (`clip.load`'s preprocess:
# short side 224 bicubic, centre crop 224; the mean / std are the model's data preprocessor's):
# no random crop, no flip
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SynOODDataset', manifest=manifest, parts=('id', 'synthetic'),
                 pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, eta_min=1e-5,
                        convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=100)
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
# the batch the paper's learning rate is for; tools/train.py --auto-scale-lr scales the rate to
# the total batch of a run (GPUs x batch_size); off by default, as in mmseg
auto_scale_lr = dict(enable=False, base_batch_size=128)
