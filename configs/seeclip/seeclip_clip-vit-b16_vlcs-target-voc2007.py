# SeeCLIP on VLCS, target domain VOC2007 (sources: Caltech101, LabelMe, SUN09), ODG-CLIP class split
# (mmopen/datasets/osdg_benchmarks/vlcs.json); model selection on held-out source data.
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-voc2007.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-voc2007.py best:work_dirs/seeclip_clip-vit-b16_vlcs-target-voc2007 4
_base_ = [
    './_base_/datasets/osdg_224.py', './_base_/models/seeclip_clip-vit-b16.py',
    './_base_/schedules/seeclip_sgd_10e.py', '../_base_/default_runtime_cls.py'
]
benchmark = 'vlcs'
data = dict(benchmark=benchmark, data_root='data/vlcs', target_domain='VOC2007')
model = dict(benchmark=benchmark)
train_dataloader = dict(dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = dict(dataset=data)
log_processor = dict(by_epoch=True)
