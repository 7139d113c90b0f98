# SeeCLIP on VLCS, target domain Caltech101 (sources: LabelMe, SUN09, VOC2007), ODG-CLIP class split
# (mmopen/osdg/benchmarks/vlcs.json); model selection on held-out source data (the
# source H-score: held-out known images and held-out pseudo-unknowns).
# Batch 32 = 4 GPUs x 8. Pseudo-unknowns are generated first, from the semantic tokens of a run
# without them (that run is also the ablation):
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-caltech101.py 4 --work-dir work_dirs/seeclip_clip-vit-b16_vlcs-target-caltech101_no-pseudo \
#       --cfg-options train_dataloader.dataset.pseudo_unknowns=None train_dataloader.dataset.pseudo_unknown_ratio=None \
#       val_dataloader.dataset.pseudo_unknowns=None default_hooks.checkpoint.save_best=osdg/known_acc default_hooks.checkpoint.rule=greater
#   tools/seeclip/dist_generate_pseudo_unknowns.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-caltech101.py 4 --amp \
#       --checkpoint best:work_dirs/seeclip_clip-vit-b16_vlcs-target-caltech101_no-pseudo
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-caltech101.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_vlcs-target-caltech101.py best_osdg_hscore:work_dirs/seeclip_clip-vit-b16_vlcs-target-caltech101 4
_base_ = ['./_base_/seeclip_clip-vit-b16_osdg-target.py']
benchmark = 'vlcs'
data = dict(benchmark=benchmark, data_root='data/vlcs', target_domain='Caltech101')
model = dict(benchmark=benchmark)
pseudo_dir = 'data/seeclip_pseudo_unknowns/vlcs-target-caltech101'
pseudo_unknown_generation = dict(out_dir=pseudo_dir)
train_dataloader = dict(dataset=dict(data, pseudo_unknowns=pseudo_dir))
val_dataloader = dict(dataset=dict(data, pseudo_unknowns=pseudo_dir))
test_dataloader = dict(dataset=data)
