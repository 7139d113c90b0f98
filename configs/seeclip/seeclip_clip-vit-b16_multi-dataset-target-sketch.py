# SeeCLIP on Multi-Dataset (DAML / ODG-CLIP), target domain DomainNet sketch (sources: Office-31
# amazon, VisDA-2017, STL-10, fixed by the benchmark file), 48 known classes
# (mmopen/datasets/osdg_benchmarks/multi_dataset.json); model selection on held-out source data.
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_multi-dataset-target-sketch.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_multi-dataset-target-sketch.py best:work_dirs/seeclip_clip-vit-b16_multi-dataset-target-sketch 4
_base_ = [
    './_base_/datasets/osdg_224.py', './_base_/models/seeclip_clip-vit-b16.py',
    './_base_/schedules/seeclip_sgd_10e.py', '../_base_/default_runtime_cls.py'
]
benchmark = 'multi_dataset'
data = dict(benchmark=benchmark, data_root='data/multi_dataset', target_domain='sketch')
model = dict(benchmark=benchmark)
train_dataloader = dict(dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = dict(dataset=data)
log_processor = dict(by_epoch=True)
