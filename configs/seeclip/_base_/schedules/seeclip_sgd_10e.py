# Prompt-learning schedule (CoOp / ODG-CLIP style; SeeCLIP's own is not published): SGD lr 2e-3,
# momentum 0.9, wd 5e-4, one constant warm-up epoch at 1e-5, cosine over 10 epochs, batch 32
# (4 GPUs x 8; scale lr with the batch on other counts).
# Model selection: the best source H-score (validation holds the held-out source images and the
# held-out pseudo-unknowns); the best known-class accuracy on held-out source data is kept beside
# it (best_osdg_known_acc_*.pth; the rule of a run without pseudo-unknowns, whose validation has
# no unknowns: set save_best='osdg/known_acc' there).
epochs = 10
optim_wrapper = dict(optimizer=dict(type='SGD', lr=2e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='ConstantLR', factor=1e-5 / 2e-3, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=epochs - 1, by_epoch=True, begin=1, end=epochs,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1,
                    save_best=['osdg/hscore', 'osdg/known_acc'], rule=['greater', 'greater']),
    logger=dict(type='LoggerHook', interval=20))
