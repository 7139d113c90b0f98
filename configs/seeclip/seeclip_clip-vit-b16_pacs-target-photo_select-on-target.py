# SeeCLIP on PACS, target photo, with model selection ON THE TARGET DOMAIN (the "oracle"
# selection some OSDG code bases use): the validation loop evaluates the target test set and the
# best checkpoint is the one with the best target H-score. Report its numbers separately from
# the default (selection on held-out source data), under the metric prefix
# `osdg-target-selected`. Any benchmark config does the same with
#   --cfg-options val_dataloader.dataset.split=test val_dataloader.dataset.pseudo_unknowns=None \
#       val_evaluator.prefix=osdg-target-selected \
#       default_hooks.checkpoint.save_best=osdg-target-selected/hscore default_hooks.checkpoint.rule=greater
_base_ = ['./seeclip_clip-vit-b16_pacs-target-photo.py']
val_dataloader = dict(dataset=dict(split='test', pseudo_unknowns=None))
val_evaluator = dict(prefix='osdg-target-selected')
default_hooks = dict(checkpoint=dict(save_best='osdg-target-selected/hscore',
                                     rule='greater'))
