# SynOOD stage 2 with the stage-1 projection kept (frozen) in front of the image encoder, in
# training and at test time: the paper's "step-by-step with projection" row of Table 5 (below
# the default without it). Loads the stage-1 checkpoint:
#   tools/dist_train.sh configs/synood/synood_clip-vit-b16_stage2-with-projection_imagenet-neglabel-protocol.py 8
_base_ = ['./synood_clip-vit-b16_stage2-neg-features_imagenet-neglabel-protocol.py']
model = dict(projection=True)
load_from = 'work_dirs/synood_clip-vit-b16_stage1-projection_imagenet/epoch_3.pth'
