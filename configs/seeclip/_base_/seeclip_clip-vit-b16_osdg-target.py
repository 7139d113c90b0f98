# What every SeeCLIP ViT-B/16 benchmark config (../seeclip_clip-vit-b16_*-target-*.py) shares:
# the OSDG data at 224 px, the model, the schedule and the SD-2 pseudo-unknowns of this folder's
# bases, pseudo-unknowns as 10% of the training list, logs by epoch. The benchmark config sets
# `benchmark`, `data` (benchmark, data_root, target_domain) and `pseudo_dir`, and puts them in
# the model, the three loaders and the generation settings.
_base_ = [
    './datasets/osdg_224.py', './models/seeclip_clip-vit-b16.py',
    './schedules/seeclip_sgd_10e.py', './pseudo_unknowns_sd2-inpainting.py',
    '../../_base_/default_runtime_cls.py'
]
train_dataloader = dict(dataset=dict(pseudo_unknown_ratio=0.1))
log_processor = dict(by_epoch=True)
