"""OVSEncoderDecoder: the chunked semantic map equals mmseg's full-logit path, and sliding-
window inference equals a window loop written here."""
import pytest
import torch
import torch.nn.functional as F

import mmopen  # noqa: F401
from mmopen.ovs import chunked_semantic_argmax
from tests.test_models.test_decode_heads.test_ovsnet_head import VOCAB, build, samples


def _meta(h, w, pad=(0, 0), flip=None):
    meta = dict(ori_shape=(h, w), img_shape=(h, w), pad_shape=(h + pad[0], w + pad[1]),
                padding_size=[0, pad[1], 0, pad[0]])
    if flip:
        meta.update(flip=True, flip_direction=flip)
    return meta


def _near_ties(logits, margin=1e-5):
    top2 = logits.topk(2, dim=0).values
    return (top2[0] - top2[1]) < margin


def test_chunked_argmax_equals_mmseg_postprocessing():
    from mmseg.models.segmentors import EncoderDecoder
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(6, 37, generator=g).softmax(dim=1)
    masks = torch.randn(6, 16, 20, generator=g) * 3
    meta = _meta(60, 76, pad=(4, 4), flip='horizontal')
    meta['ori_shape'] = (50, 70)
    up = F.interpolate(masks[None], size=(64, 80), mode='bilinear', align_corners=False)
    logits = torch.einsum('qc,bqhw->bchw', probs, up.sigmoid())
    seg = EncoderDecoder.__new__(EncoderDecoder)
    seg.align_corners = False
    out = EncoderDecoder.postprocess_result(seg, logits, [SegDataSample(metainfo=meta)])[0]
    ref, ref_logits = out.pred_sem_seg.data, out.seg_logits.data
    got = chunked_semantic_argmax(probs, masks, (64, 80), meta['padding_size'],
                                  meta['ori_shape'], 'horizontal', chunk=5)
    # equal up to pixels whose two best classes tie within float rounding (the class sums of
    # a chunk may be reduced in another order than over all 37 classes)
    differ = got != ref
    assert (~differ | _near_ties(ref_logits)).all()
    assert differ.float().mean() < 0.01


def test_chunked_path_equals_the_full_logit_path(tiny_clip_files):
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    model = build(weights)
    model.eval()
    model.decode_head.text.set_test_vocabulary(VOCAB + ['sky', 'car'])
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        chunked = model.predict(x, samples(2))
        model.test_cfg['output_logits'] = True
        try:
            full = model.predict(x, samples(2))
        finally:
            model.test_cfg.pop('output_logits')
    for c, f in zip(chunked, full):
        assert 'seg_logits' not in c and 'seg_logits' in f  # TTA needs the logits
        differ = c.pred_sem_seg.data != f.pred_sem_seg.data
        assert (~differ | _near_ties(f.seg_logits.data)).all()


def test_slide_inference_equals_a_window_loop(tiny_clip_files):
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    model = build(weights)
    model.eval()
    model.test_cfg.update(mode='slide', crop_size=(64, 64), stride=(32, 32))
    h, w = 64, 128
    x = torch.randn(1, 3, h, w)
    meta = _meta(h, w)
    from mmseg.structures import SegDataSample
    with torch.no_grad():
        got = model.predict(x, [SegDataSample(metainfo=meta)])[0].seg_logits.data
        # the reference: every 64 x 64 window at stride 32 through the whole-image path,
        # summed into place and divided by the number of windows covering each pixel
        total = torch.zeros(5, h, w)
        count = torch.zeros(1, h, w)
        for left in range(0, w - 64 + 1, 32):
            crop = x[:, :, :, left:left + 64]
            feats = model.extract_feat(crop)
            logits = model.decode_head.predict(feats, [_meta(64, 64)], {}, size=(64, 64))[0]
            total[:, :, left:left + 64] += logits
            count[:, :, left:left + 64] += 1
    assert torch.allclose(got, total / count, atol=1e-5)


def test_predict_without_data_samples_uses_the_input_size(tiny_clip_files):
    model = build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')])
    model.eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(1, 3, 64, 96))
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 96)


@pytest.mark.parametrize('chunk', [1, 64])
def test_chunk_size_does_not_change_the_result(chunk):
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(4, 9, generator=g)
    masks = torch.randn(4, 8, 8, generator=g)
    ref = chunked_semantic_argmax(probs, masks, (32, 32), [0, 0, 0, 0], (32, 32), chunk=9)
    got = chunked_semantic_argmax(probs, masks, (32, 32), [0, 0, 0, 0], (32, 32), chunk=chunk)
    up = F.interpolate(masks[None], size=(32, 32), mode='bilinear').sigmoid()[0]
    logits = torch.einsum('qc,qhw->chw', probs, up)
    assert ((got == ref) | _near_ties(logits)).all()


def test_ground_truth_mask_oracle_classifies_each_region_with_clip(tiny_clip_files):
    """``test_cfg=dict(masks='ground_truth')``: an image that is one region takes the class
    open_clip's own image embedding picks among the text embeddings (full-image mask pooling
    is ``encode_image``); a second image keeps its ignored pixels out of its regions and gives
    each of its regions one class; an unknown mode is refused."""
    from mmengine.structures import PixelData
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    model = build(weights)
    model.eval()
    model.test_cfg['masks'] = 'ground_truth'
    x = torch.randn(2, 3, 64, 64)
    data = samples(2)
    data[0].gt_sem_seg = PixelData(data=torch.full((1, 64, 64), 2))
    split = torch.zeros(1, 64, 64, dtype=torch.long)
    split[..., 32:] = 4
    split[..., :8, :] = 255
    data[1].gt_sem_seg = PixelData(data=split)
    with torch.no_grad():
        out = model.predict(x, data)
        clip = model.backbone.clip
        img = F.normalize(clip.model.encode_image(x[:1]), dim=-1)
        want = (img @ model.decode_head.text.bank(False).T).argmax().item()
    assert torch.all(out[0].pred_sem_seg.data == want)
    pred = out[1].pred_sem_seg.data[0]
    for k in (0, 4):
        assert pred[split[0] == k].unique().numel() == 1
    model.test_cfg['masks'] = 'boxes'
    with pytest.raises(ValueError, match="test_cfg.masks='boxes'"):
        model.predict(x, data)


def test_the_clip_is_named_once_in_the_backbone(tiny_clip_files, tmp_path):
    """The quickstart config names its CLIP file in the backbone only: the head's text encoder
    is that CLIP (shared, not a second copy), and ``--cfg-options model.backbone.weights=``
    alone moves both. A head config naming another CLIP is still refused; a head without
    text_encoder over a backbone with no CLIP name is refused naming text_encoder."""
    import shutil

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from mmopen.models.segmentors.ovs_encoder_decoder import head_with_backbone_clip
    from tests.test_models.test_decode_heads.test_ovsnet_head import QS
    cfg = Config.fromfile(QS)
    assert 'text_encoder' not in cfg.model.decode_head
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    moved = str(tmp_path / 'moved.safetensors')
    shutil.copy(weights, moved)
    cfg.model.backbone.weights = moved
    cfg.model.decode_head.vocabulary = VOCAB
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    text = model.decode_head.text
    assert text.text_encoder_cfg == dict(model_name='mmopen-tiny-convnext', weights=moved)
    assert text.clip is model.backbone.clip
    cfg.model.decode_head.text_encoder = dict(model_name='mmopen-tiny-convnext',
                                              weights=weights)
    with pytest.raises(ValueError, match='one CLIP'):
        MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='text_encoder'):
        head_with_backbone_clip(dict(type='OVSNetHead'), dict(type='ResNetV1c', depth=50))
    stock = dict(type='Mask2FormerHead', num_classes=3)  # takes no text encoder: as given
    assert head_with_backbone_clip(stock, dict(type='ResNetV1c')) is stock
    from mmopen.models import CLIPDenseBackbone, OVSNetHead
    clip = dict(type=CLIPDenseBackbone, model_name='mmopen-tiny-convnext', weights=moved)
    assert head_with_backbone_clip(dict(type=OVSNetHead), clip)['text_encoder'] == dict(
        model_name='mmopen-tiny-convnext', weights=moved)  # types given as classes
    named = dict(type=OVSNetHead, text_encoder=dict(model_name='x'))
    assert head_with_backbone_clip(named, dict(type='ResNetV1c')) is named
