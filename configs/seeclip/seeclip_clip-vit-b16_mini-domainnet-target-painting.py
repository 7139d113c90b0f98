# SeeCLIP on Mini-DomainNet, target domain painting (sources: clipart, real, sketch), ODG-CLIP class split
# (mmopen/datasets/osdg_benchmarks/mini_domainnet.json); model selection on held-out source data.
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_mini-domainnet-target-painting.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_mini-domainnet-target-painting.py best:work_dirs/seeclip_clip-vit-b16_mini-domainnet-target-painting 4
_base_ = [
    './_base_/datasets/osdg_224.py', './_base_/models/seeclip_clip-vit-b16.py',
    './_base_/schedules/seeclip_sgd_10e.py', '../_base_/default_runtime_cls.py'
]
benchmark = 'mini_domainnet'
data = dict(benchmark=benchmark, data_root='data/mini_domainnet', target_domain='painting')
model = dict(benchmark=benchmark)
train_dataloader = dict(dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = dict(dataset=data)
log_processor = dict(by_epoch=True)
