# ΔEnergy's EBM on 1-shot ImageNet-1k: the 16-shot recipe with one image per class.
#   tools/dist_train.sh configs/ood/ebm/ebm_clip-vit-b16_1shot-imagenet.py 1
_base_ = ['./ebm_clip-vit-b16_16shot-imagenet.py']
train_dataloader = dict(dataset=dict(shots=1))
