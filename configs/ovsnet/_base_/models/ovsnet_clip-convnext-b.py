# OVSNet: frozen CLIP ConvNeXt-B (open_clip convnext_base_w, a local weight file), Mask2Former
# pixel decoder + transformer decoder, FC-CLIP mask pooling + GFA (per-query reading),
# cosine classification against the CLIP text embeddings with a learnable no-object
# embedding, Proxy Calibration. Losses: mask BCE 5, dice 5, class CE 2, proxy 1.
# Inference: FC-CLIP's geometric ensemble of the trained classifier with the frozen CLIP's
# mask-pooled one, alpha 0.4 (seen classes) and beta 0.8 (unseen): FC-CLIP's released
# inference always applies it with these values (fcclip/config.py GEOMETRIC_ENSEMBLE_ALPHA /
# _BETA, ENSEMBLE_ON_VALID_MASK False), and OVSNet is built on FC-CLIP's code and settings
# (paper Sec. 5.2, "following previous works [26, 62]"); the paper names no other values.
# Mask losses: ignore_aware_mask_loss=None lets OpenVocabularyHook decide from the training
# set: off for COCO-Panoptic-133 (no annotated class held out: Mask2Former's losses, as the
# release), on for a training set that labels held-out classes ignore.
# The head shares the backbone's CLIP (OVSEncoderDecoder): one CLIP per model, named once,
# in the backbone (the head's text_encoder is taken from it).
clip_model = 'convnext_base_w'
clip_weights = 'checkpoints/clip/convnext_base_w/open_clip_pytorch_model.bin'
clip_channels = [128, 256, 512, 1024]
train_vocabulary = 'coco_panoptic_133'
num_queries = 100
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[122.7709383, 116.7460125, 104.09373615],
    std=[68.5005327, 66.6321579, 70.32316305],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(1024, 1024))
model = dict(
    type='OVSEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLIPDenseBackbone',
        model_name=clip_model,
        weights=clip_weights,
        out_indices=(0, 1, 2, 3),
        with_pool_features=True),
    decode_head=dict(
        type='OVSNetHead',
        vocabulary=train_vocabulary,
        templates='vild',
        fusion='gfa',
        gfa_cfg=dict(reading='per_query', lam=0.2, omega=0.5, normalize=True, output='f_q'),
        mask_pooling='binary',
        no_object='embedding',
        ensemble=dict(alpha=0.4, beta=0.8),
        ignore_aware_mask_loss=None,
        loss_proxy=dict(type='ProxyCalibrationLoss', loss_weight=1.0, gamma=2.0),
        in_channels=clip_channels,
        strides=[4, 8, 16, 32],
        feat_channels=256,
        out_channels=256,
        num_queries=num_queries,
        num_transformer_feat_level=3,
        align_corners=False,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=6,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=256, num_heads=8, num_levels=3,
                                       num_points=4, im2col_step=64, dropout=0.0,
                                       batch_first=True, norm_cfg=None, init_cfg=None),
                    ffn_cfg=dict(embed_dims=256, feedforward_channels=1024, num_fcs=2,
                                 ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))),
                init_cfg=None),
            positional_encoding=dict(num_feats=128, normalize=True),
            init_cfg=None),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=128, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=9,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=256, num_heads=8, attn_drop=0.0, proj_drop=0.0,
                                   dropout_layer=None, batch_first=True),
                cross_attn_cfg=dict(embed_dims=256, num_heads=8, attn_drop=0.0,
                                    proj_drop=0.0, dropout_layer=None, batch_first=True),
                ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, num_fcs=2,
                             act_cfg=dict(type='ReLU', inplace=True), ffn_drop=0.0,
                             dropout_layer=None, add_identity=True)),
            init_cfg=None),
        loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                       loss_weight=5.0),
        loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True,
                       reduction='mean', naive_dice=True, eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=12544,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=2.0),
                    dict(type='mmdet.CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='mmdet.DiceCost', weight=5.0, pred_act=True, eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
custom_hooks = [
    dict(type='OpenVocabularyHook'),
    # weight and gamma: the loss_proxy's above (the hook only schedules and logs them)
    dict(type='ProxyCalibrationHook', start_iter=0, warmup_iters=0),
]
