# SynOOD stage 2 on ImageNet-1k (paper §3.5), the default: the mined negative labels' text
# features trained on the synthetic images alone, without the stage-1 projection (the paper's
# best, Table 5). As released (ood_label_finetuning.py): SGD lr 2e-2 (the paper's text says
# 2e-3), momentum 0.9, wd 1e-5, 5 epochs, batch 128, cosine annealing over the 5 epochs to 0,
# stepped once per epoch, no warm-up. The release's inference() loads the features saved after
# the first epoch (epoch_0.pth); to follow it, train with --cfg-options
# default_hooks.checkpoint.max_keep_ckpts=5 and test epoch_1.pth. Evaluated with the NegLabel score (and the others) on the NegLabel protocol:
#   tools/dist_train.sh configs/synood/synood_clip-vit-b16_stage2-neg-features_imagenet-neglabel-protocol.py 8
#   tools/dist_test.sh configs/synood/synood_clip-vit-b16_stage2-neg-features_imagenet-neglabel-protocol.py \
#       last:work_dirs/synood_clip-vit-b16_stage2-neg-features_imagenet-neglabel-protocol 8
_base_ = ['./synood_clip-vit-b16_stage1-projection_imagenet.py']
model = dict(projection=False, train_stage=2)
train_dataloader = dict(dataset=dict(parts=('synthetic', )))
optim_wrapper = dict(_delete_=True, optimizer=dict(type='SGD', lr=2e-2, momentum=0.9,
                                                   weight_decay=1e-5))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=5, by_epoch=True, eta_min=0.0,
                        begin=0, end=5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=100)
