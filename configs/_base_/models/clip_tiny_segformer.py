# An mmseg EncoderDecoder over a frozen CLIP tower (tiny ConvNeXt CLIP by default), with the
# all-MLP SegFormer head fusing the four CLIP stages.
clip_mean = [122.7709383, 116.7460125, 104.09373615]
clip_std = [68.5005327, 66.6321579, 70.32316305]
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=clip_mean,
    std=clip_std,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLIPDenseBackbone',
        model_name='mmopen-tiny-convnext',
        weights='data/quickstart/tiny_clip_convnext.safetensors',
        out_indices=(0, 1, 2, 3)),
    decode_head=dict(
        type='SegformerHead',
        in_channels=[16, 32, 48, 64],
        in_index=[0, 1, 2, 3],
        channels=64,
        dropout_ratio=0.0,
        num_classes=8,
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
