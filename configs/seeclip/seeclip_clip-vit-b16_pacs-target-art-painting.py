# SeeCLIP on PACS, target domain art_painting (sources: cartoon, photo, sketch), ODG-CLIP class split
# (mmopen/datasets/osdg_benchmarks/pacs.json); model selection on held-out source data.
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_pacs-target-art-painting.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_pacs-target-art-painting.py best:work_dirs/seeclip_clip-vit-b16_pacs-target-art-painting 4
_base_ = [
    './_base_/datasets/osdg_224.py', './_base_/models/seeclip_clip-vit-b16.py',
    './_base_/schedules/seeclip_sgd_10e.py', '../_base_/default_runtime_cls.py'
]
benchmark = 'pacs'
data = dict(benchmark=benchmark, data_root='data/pacs', target_domain='art_painting')
model = dict(benchmark=benchmark)
train_dataloader = dict(dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = dict(dataset=data)
log_processor = dict(by_epoch=True)
