# Quickstart (SeeCLIP, open-set domain generalisation): the quickstart shapes in four styles;
# train on photo / painting / sketch (circle, square, triangle, bar), test on the held-out
# cartoon style with two unknown shapes (cross, diamond). This config trains WITHOUT
# pseudo-unknowns (the ablation); ..._pseudo-unknowns.py adds them. Data and the tiny CLIP ViT:
# `make quickstart-data`.
#   python tools/train.py configs/seeclip/quickstart/seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py
#   python tools/test.py configs/seeclip/quickstart/seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py \
#       best:work_dirs/seeclip_clip-tiny-vit_quickstart-shapes-cartoon
_base_ = ['../_base_/datasets/osdg_224.py', '../../_base_/default_runtime_cls.py']
data_root = 'data/quickstart/osdg'
data = dict(benchmark=data_root + '/benchmark.json', data_root=data_root,
            target_domain='cartoon')
model = dict(
    type='SeeCLIPClassifier',
    clip=dict(model_name='mmopen-tiny-vit',
              weights='data/quickstart/tiny_clip_vit_osdg.safetensors'),
    benchmark=data['benchmark'],
    num_queries=4,
    n_unknown_ctx=4,
    # mmopen's semantic-token variant, not the release's (the paper configs' default): with
    # the release's raw softmax over P q_k and N(0, 0.02) queries the tiny CLIP's tokens all
    # become the mean patch (configs/seeclip/README.md, "Semantic tokens": measured over the
    # quickstart's 3 seeds)
    attention='competitive',
    query_init='orthonormal',
    temperature=0.1,
    margin=0.5,
    loss_weights=dict(rep=1.0, coh=0.5, reg=0.01))
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'domain')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs', meta_keys=meta_keys)]
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(data, pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                      dataset=dict(data, pipeline=test_pipeline))
test_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                       dataset=dict(data, pipeline=test_pipeline))
epochs = 12
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, eta_min=1e-5,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),  # torch's random states in checkpoints: exact resume
    checkpoint=dict(type='CheckpointHook', interval=4, max_keep_ckpts=1,
                    save_best='osdg/known_acc', rule='greater'),
    logger=dict(type='LoggerHook', interval=10))
log_processor = dict(by_epoch=True)
