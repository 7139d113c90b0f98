# SeeCLIP on Office-Home, target domain Art (sources: Clipart, Product, Real_World), ODG-CLIP class split
# (mmopen/osdg/benchmarks/office_home.json); model selection on held-out source data (the
# source H-score: held-out known images and held-out pseudo-unknowns).
# Batch 32 = 4 GPUs x 8. Pseudo-unknowns are generated first, from the semantic tokens of a run
# without them (that run is also the ablation):
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_office-home-target-art.py 4 --work-dir work_dirs/seeclip_clip-vit-b16_office-home-target-art_no-pseudo \
#       --cfg-options train_dataloader.dataset.pseudo_unknowns=None train_dataloader.dataset.pseudo_unknown_ratio=None \
#       val_dataloader.dataset.pseudo_unknowns=None default_hooks.checkpoint.save_best=osdg/known_acc default_hooks.checkpoint.rule=greater
#   tools/seeclip/dist_generate_pseudo_unknowns.sh configs/seeclip/seeclip_clip-vit-b16_office-home-target-art.py 4 --amp \
#       --checkpoint best:work_dirs/seeclip_clip-vit-b16_office-home-target-art_no-pseudo
#   tools/dist_train.sh configs/seeclip/seeclip_clip-vit-b16_office-home-target-art.py 4
#   tools/dist_test.sh configs/seeclip/seeclip_clip-vit-b16_office-home-target-art.py best_osdg_hscore:work_dirs/seeclip_clip-vit-b16_office-home-target-art 4
_base_ = ['./_base_/seeclip_clip-vit-b16_osdg-target.py']
benchmark = 'office_home'
data = dict(benchmark=benchmark, data_root='data/office_home', target_domain='Art')
model = dict(benchmark=benchmark)
pseudo_dir = 'data/seeclip_pseudo_unknowns/office-home-target-art'
pseudo_unknown_generation = dict(out_dir=pseudo_dir)
train_dataloader = dict(dataset=dict(data, pseudo_unknowns=pseudo_dir))
val_dataloader = dict(dataset=dict(data, pseudo_unknowns=pseudo_dir))
test_dataloader = dict(dataset=data)
