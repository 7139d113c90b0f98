# Quickstart (OVSNet): the OVSNet head (GFA + Proxy Calibration) at tiny width over the frozen
# tiny quickstart CLIP, trained on the 6 seen classes of the synthetic segmentation set on CPU
# (300 iterations, about a minute), then evaluated over all 8 classes (2 never trained on).
# The training set labels the 2 unseen classes ignore, so OpenVocabularyHook turns the
# ignore-aware mask losses on (ignore_aware_mask_loss=None; the log says so): Mask2Former's
# losses would teach every mask to cut those objects out.
# Inference: FC-CLIP's ensemble with alpha 0.2 / beta 0.8 and mask pooling at the masks'
# resolution (pool_at='masks'), chosen for this CLIP's 4 x 4 feature map on 128 px images:
# measured over seeds 0-2 (docs/ovsnet.md), resizing the masks to 4 x 4 (FC-CLIP's 'features')
# loses the small objects, and alpha 0.4 (FC-CLIP's) lets the tiny CLIP's weaker region
# classifier override the trained one on the seen classes.
#   python tools/train.py configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py
#   python tools/test.py configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py \
#       last:work_dirs/ovsnet_clip-tiny-convnext_quickstart
_base_ = [
    '../_base_/models/ovsnet_clip-convnext-b.py', '../_base_/datasets/quickstart_seg_open.py',
    '../../_base_/default_runtime_seg.py', '../../_base_/schedules/quickstart_iter.py'
]
clip = dict(model_name='mmopen-tiny-convnext',
            weights='data/quickstart/tiny_clip_convnext.safetensors')
model = dict(
    data_preprocessor=dict(size=(128, 128)),
    backbone=clip,
    decode_head=dict(
        vocabulary={{_base_.seen_classes}},  # named once, in quickstart_seg_open.py
        in_channels=[16, 32, 48, 64],
        feat_channels=32,
        out_channels=32,
        num_queries=10,
        pixel_decoder=dict(
            norm_cfg=dict(type='GN', num_groups=8),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=32, num_heads=4),
                    ffn_cfg=dict(embed_dims=32, feedforward_channels=64))),
            positional_encoding=dict(num_feats=16)),
        positional_encoding=dict(num_feats=16),
        transformer_decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=32, num_heads=4),
                cross_attn_cfg=dict(embed_dims=32, num_heads=4),
                ffn_cfg=dict(embed_dims=32, feedforward_channels=64))),
        pool_at='masks',
        ensemble=dict(alpha=0.2, beta=0.8),
        train_cfg=dict(num_points=1024)))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
