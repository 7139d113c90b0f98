"""A stock mmseg Mask2Former config with mmopen's CLIP backbone and OVSNet head, written from the
README's snippet: it trains and predicts, and the two ways a newcomer gets it wrong are errors
that name the setting (or cannot happen)."""
import pytest
import torch

STOCK = 'mmseg::mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'


def _config(path, **decode_head):
    """The README's snippet (with the tiny CLIP standing in for ConvNeXt-B)."""
    import os
    import tempfile

    from mmengine.config import Config
    clip = dict(model_name='mmopen-tiny-convnext', weights=path)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'cfg.py'), 'w') as f:
            f.write(f'_base_ = {STOCK!r}\n'
                    "custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)\n")
        cfg = Config.fromfile(os.path.join(tmp, 'cfg.py'))
    cfg.merge_from_dict(dict(model=dict(
        type='OVSEncoderDecoder',
        backbone=dict(_delete_=True, type='CLIPDenseBackbone', **clip),
        decode_head=dict(dict(type='OVSNetHead', vocabulary='ade_150', text_encoder=clip,
                              templates=('a photo of a {}.', ), in_channels=[16, 32, 48, 64]),
                         **decode_head))))
    return cfg


def _build(cfg):
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.registry import MODELS

    init_default_scope('mmseg')
    return MODELS.build(cfg.model)


def _samples(n, size=64, num_classes=150):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        seg = torch.randint(0, num_classes, (1, size // 4, size // 4), generator=g)
        seg = seg.repeat_interleave(4, 1).repeat_interleave(4, 2)
        s = SegDataSample(gt_sem_seg=PixelData(data=seg))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size),
                            ori_shape=(size, size), padding_size=[0, 0, 0, 0]))
        out.append(s)
    return out


@pytest.fixture(scope='module')
def tiny_path(tiny_clip_files):
    return tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]


def test_readme_snippet_trains_and_predicts_without_with_pool_features(tiny_path):
    cfg = _config(tiny_path)
    assert 'with_pool_features' not in cfg.model.backbone  # the newcomer's omission
    model = _build(cfg)
    assert model.backbone.with_pool_features  # turned on by the segmentor for the head's GFA
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.randn(2, 3, 64, 64)
    losses = model.loss(x, _samples(2))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    before = model.decode_head.query_feat.weight.detach().clone()
    total.backward()
    opt.step()
    assert not torch.equal(before, model.decode_head.query_feat.weight)
    model.eval()
    with torch.no_grad():
        preds = model.predict(x, _samples(2))
    seg = preds[0].pred_sem_seg.data
    assert seg.shape == (1, 64, 64) and 0 <= int(seg.min()) and int(seg.max()) < 150


def test_num_classes_that_is_not_the_vocabularys_names_both_numbers(tiny_path):
    with pytest.raises(ValueError, match=r'num_classes=150 but the training vocabulary '
                       r'\(voc_20\) has 20 classes'):
        _build(_config(tiny_path, vocabulary='voc_20'))
    # num_classes=None: derived from the vocabulary; the stock class weights (151) then clash
    with pytest.raises(ValueError, match=r'class_weight has 151 entries .* 20 classes'):
        _build(_config(tiny_path, vocabulary='voc_20', num_classes=None))
    model = _build(_config(tiny_path, vocabulary='voc_20', num_classes=None,
                           loss_cls=dict(class_weight=[1.0] * 20 + [0.1])))
    assert model.decode_head.num_classes == 20


def test_pixel_decoder_levels_that_miss_a_backbone_level_are_named(tiny_path):
    model = _build(_config(tiny_path, in_channels=[32, 48, 64]))
    with pytest.raises(ValueError, match=r'backbone gives 5 feature maps but the head expects 4'):
        model.loss(torch.randn(1, 3, 64, 64), _samples(1))


def test_stock_encoder_decoder_names_what_gfa_needs(tiny_path):
    cfg = _config(tiny_path)
    cfg.model.type = 'EncoderDecoder'  # the stock segmentor cannot hand its CLIP to the head
    model = _build(cfg)
    with pytest.raises(ValueError, match=r'OVSEncoderDecoder with '
                       r'CLIPDenseBackbone\(with_pool_features=True\)'):
        model.loss(torch.randn(1, 3, 64, 64), _samples(1))
