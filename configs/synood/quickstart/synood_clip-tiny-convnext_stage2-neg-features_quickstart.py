# Quickstart (SynOOD stage 2, the default): the mined negative labels' text features trained
# on the synthetic images alone, without the stage-1 projection (the paper's best); evaluated
# with the NegLabel score (and the others) on the quickstart ID / OOD sets:
#   python tools/train.py configs/synood/quickstart/synood_clip-tiny-convnext_stage2-neg-features_quickstart.py
#   python tools/test.py configs/synood/quickstart/synood_clip-tiny-convnext_stage2-neg-features_quickstart.py \
#       last:work_dirs/synood_clip-tiny-convnext_stage2-neg-features_quickstart
_base_ = ['./synood_clip-tiny-convnext_stage1-projection_quickstart.py']
model = dict(projection=False, train_stage=2)
train_dataloader = dict(dataset=dict(parts=('synthetic', )))
# the paper's stage-2 optimiser (SGD 2e-2, momentum 0.9, wd 1e-5)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='SGD', lr=2e-2, momentum=0.9,
                                                   weight_decay=1e-5))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=100)
