"""OVSNetHead in a model: gradients, one CLIP per model, FC-CLIP mask pooling, Mask2Former
inference order, vocabularies resolved once, no state kept between calls, Proxy Calibration
wiring, the stock Mask2Former config."""
import copy
import os.path as osp
import textwrap

import pytest
import torch
import torch.nn.functional as F

import mmopen  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
QS = osp.join(REPO, 'configs', 'ovsnet', 'quickstart', 'ovsnet_clip-tiny-convnext_quickstart.py')
VOCAB = ['wall', 'grass', 'ball', 'box', 'tent']


def samples(n, size=64, num_classes=5, seed=0):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        s = SegDataSample(gt_sem_seg=PixelData(
            data=torch.randint(0, num_classes, (1, size, size), generator=g)))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size),
                            ori_shape=(size, size), padding_size=[0, 0, 0, 0]))
        out.append(s)
    return out


def build(weights, cache_dir=None, **head):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(QS)
    clip = dict(model_name='mmopen-tiny-convnext', weights=weights)
    if cache_dir is not None:
        clip['cache_dir'] = cache_dir
    cfg.model.backbone.update(model_name=clip['model_name'], weights=weights)
    cfg.model.decode_head.text_encoder = clip
    cfg.model.decode_head.vocabulary = VOCAB
    cfg.model.decode_head.update(head)
    init_default_scope('mmseg')
    return MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def weights(tiny_clip_files):
    return tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]


@pytest.fixture(scope='module')
def ovs_model(weights):
    return build(weights)


def test_training_step_reaches_the_head_and_never_the_frozen_clip(ovs_model):
    torch.manual_seed(0)
    ovs_model.train()
    losses = ovs_model.loss(torch.randn(2, 3, 64, 64), samples(2))
    assert {'decode.loss_cls', 'decode.loss_mask', 'decode.loss_dice',
            'decode.loss_proxy'} <= set(losses)
    # PC's statistics come back as values with the losses (not state left on the loss), and
    # their names keep them out of the total MMEngine sums
    assert 0 < losses['decode.pc_pairs'] and -1 <= losses['decode.pc_alpha'] <= 1
    assert not losses['decode.pc_pairs'].requires_grad
    assert not hasattr(ovs_model.decode_head.loss_proxy, 'last_stats')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    ovs_model.zero_grad()
    total.backward()
    clip_params = list(ovs_model.backbone.parameters())
    assert clip_params and all(p.grad is None for p in clip_params)
    head = ovs_model.decode_head
    for name in ('query_proj.weight', 'logit_scale', 'void_embedding'):
        grad = head.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_one_clip_per_model(weights, tmp_path, monkeypatch):
    """The head uses the backbone's CLIP: no CLIP module inside the head, the weight file read
    once, and the same state-dict keys whether the text cache is cold or warm."""
    import mmopen.clip.build as clip_build
    from mmopen.clip import FrozenCLIP
    reads = []
    real = clip_build.read_state_dict
    monkeypatch.setattr(clip_build, 'read_state_dict',
                        lambda path, name: reads.append(path) or real(path, name))
    cache = str(tmp_path / 'cache')
    cold = build(weights, cache_dir=cache)
    cold.eval()
    with torch.no_grad():  # encodes the vocabulary on a cache miss, with the backbone's CLIP
        cold.predict(torch.randn(1, 3, 64, 64), samples(1))
    assert reads == [weights]
    warm = build(weights, cache_dir=cache)
    assert list(cold.state_dict()) == list(warm.state_dict())
    assert not [n for n, m in cold.decode_head.named_modules() if isinstance(m, FrozenCLIP)]
    assert not any(k.startswith('decode_head') and 'clip' in k for k in cold.state_dict())
    assert cold.decode_head.text.clip is cold.backbone.clip


def test_full_image_mask_pooling_is_encode_image(ovs_model):
    """FC-CLIP order: pool the last stage, then the tower head; with a full-image mask that is
    open_clip's own image embedding (computed here by open_clip)."""
    x = torch.randn(2, 3, 64, 64)
    head = ovs_model.decode_head
    feats = ovs_model.backbone(x)
    got = head.pooled_clip_embeddings(feats[-1], torch.full((2, 3, 16, 16), 5.0))
    ref = ovs_model.backbone.clip.model.encode_image(x)
    for q in range(3):
        assert torch.allclose(got[:, q], ref, atol=1e-5)


def test_inference_upsamples_mask_logits_before_the_sigmoid(ovs_model, monkeypatch):
    head = ovs_model.decode_head
    ovs_model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = ovs_model.extract_feat(x)
        probs, masks = head.predict_components(feats, [samples(1)[0].metainfo])
        got = head.predict(feats, [samples(1)[0].metainfo], {})
    up = F.interpolate(masks, size=(64, 64), mode='bilinear', align_corners=False).sigmoid()
    ref = torch.einsum('bqc,bqhw->bchw', probs, up)
    assert torch.allclose(got, ref, atol=1e-6)
    wrong = F.interpolate(torch.einsum('bqc,bqhw->bchw', probs, masks.sigmoid()), size=(64, 64),
                          mode='bilinear', align_corners=False)
    assert not torch.allclose(got, wrong, atol=1e-4)  # the order matters here


def test_test_vocabulary_is_encoded_once(ovs_model, monkeypatch):
    from mmopen.clip.vocabularies import Vocabulary
    text = ovs_model.decode_head.text
    ovs_model.eval()
    text.set_test_vocabulary(VOCAB + ['sky, heaven', 'car', 'others, background'])
    assert text.test_bank.shape[0] == 8 and text.seen().tolist() == [True] * 5 + [False] * 3
    calls = []
    monkeypatch.setattr(Vocabulary, 'load', classmethod(lambda cls, *a: calls.append(a)))
    monkeypatch.setattr(text, 'embeddings', lambda *a: calls.append(a))
    with torch.no_grad():
        preds = ovs_model.predict(torch.randn(2, 3, 64, 64), samples(2))
    assert calls == []  # no parsing or encoding per decoder layer or per batch
    labels = torch.cat([p.pred_sem_seg.data for p in preds])
    assert labels.shape == (2, 64, 64) and labels.max() < 8


def test_the_head_keeps_no_state_between_calls(weights):
    """``loss`` and ``predict`` in any order on one head give what they give on fresh heads:
    nothing one call writes is read by the next (the pooling map, the matched labels and the
    final layer's embeddings travel as values). A head that kept, say, the last pooling map
    or the last matched labels would differ here after a call with other inputs."""
    model = build(weights)
    x, other = torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)
    data, metas = samples(2), [s.metainfo for s in samples(2)]

    def loss(m, inputs=x):
        m.train()
        torch.manual_seed(1)  # the matching's and the loss's point sampling
        return {k: v.detach() for k, v in m.loss(inputs, data).items()}

    def predict(m, inputs=x):
        m.eval()
        with torch.no_grad():
            return m.decode_head.predict_components(m.extract_feat(inputs), metas)

    ref_loss, ref_pred = loss(copy.deepcopy(model)), predict(copy.deepcopy(model))
    for op in (predict, loss, loss, predict, loss, predict):
        (loss if op is predict else predict)(model, other)  # another call in between
        got, ref = (op(model), ref_loss if op is loss else ref_pred)
        values = zip(got.values(), ref.values()) if op is loss else zip(got, ref)
        for a, b in values:  # same operations in the same order: equal to float rounding
            assert torch.allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_fixed_test_vocabulary_is_kept_unless_overridden(weights):
    model = build(weights, test_vocabulary=['ball', 'box'])
    text = model.decode_head.text
    text.set_test_vocabulary(['wall', 'grass', 'sky'])  # what OpenVocabularyHook does
    assert text.test_vocabulary.to_list() == [['ball'], ['box']] and text.bank(False).shape[0] == 2
    text.set_test_vocabulary(['wall', 'grass', 'sky'], override_config=True)  # tools, demo
    assert text.test_bank.shape[0] == 3


def test_training_vocabulary_is_checked_against_the_dataset(ovs_model):
    ovs_model.decode_head.text.check_train_vocabulary([[v] for v in VOCAB])
    with pytest.raises(ValueError, match='differ.*ball.*box'):
        ovs_model.decode_head.text.check_train_vocabulary(['wall', 'grass', 'box', 'ball', 'tent'])


def test_backbone_and_head_must_share_one_clip(weights, tiny_clip_files):
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(QS)
    cfg.model.backbone.weights = weights
    other = tiny_clip_files[('mmopen-tiny-convnext', 'bin')]
    cfg.model.decode_head.text_encoder = dict(model_name='mmopen-tiny-convnext', weights=other)
    cfg.model.decode_head.vocabulary = VOCAB
    with pytest.raises(ValueError, match='is not the shared CLIP'):
        MODELS.build(cfg.model)


@pytest.mark.parametrize('fusion,with_pc_c', [('none', False), ('gfa', True)])
def test_proxy_calibration_gets_the_fusion_output_only_with_fusion(weights, monkeypatch,
                                                                   fusion, with_pc_c):
    model = build(weights, fusion=fusion)
    got = {}
    loss = model.decode_head.loss_proxy

    def capture(f_q, f_c, f_t, return_stats=False):
        got.update(f_q=f_q, f_c=f_c, f_t=f_t)
        return f_q.sum() * 0, dict(pairs=0, alpha_mean=0.0, alpha_var=0.0)

    monkeypatch.setattr(loss, 'forward', capture)
    model.train()
    torch.manual_seed(0)
    model.loss(torch.randn(2, 3, 64, 64), samples(2))
    assert (got['f_c'] is not None) == with_pc_c
    assert got['f_q'].shape == got['f_t'].shape and got['f_q'].shape[0] > 0


def test_scalar_no_object_option(weights):
    model = build(weights, no_object='scalar')
    head = model.decode_head
    assert hasattr(head, 'void_logit') and not hasattr(head, 'void_embedding')
    logits = head.classify(torch.randn(2, 3, 32), torch.randn(5, 32))
    assert logits.shape == (2, 3, 6)
    assert torch.equal(logits[..., -1], head.void_logit.expand(2, 3))


def test_geometric_ensemble_matches_a_loop():
    from mmopen.ovs import geometric_ensemble
    g = torch.Generator().manual_seed(0)
    logits, clip_logits = torch.randn(2, 3, 5, generator=g), torch.randn(2, 3, 4, generator=g)
    seen = torch.tensor([True, False, True, False])
    got = geometric_ensemble(logits, clip_logits, seen, alpha=0.4, beta=0.8)
    for b in range(2):
        for q in range(3):
            p_all = torch.exp(logits[b, q]) / torch.exp(logits[b, q]).sum()
            p_in = torch.exp(logits[b, q, :4]) / torch.exp(logits[b, q, :4]).sum()
            p_out = torch.exp(clip_logits[b, q]) / torch.exp(clip_logits[b, q]).sum()
            ens = torch.stack([p_in[c]**(0.6 if seen[c] else 0.2) *
                               p_out[c]**(0.4 if seen[c] else 0.8) for c in range(4)])
            ref = ens / ens.sum() * (1 - p_all[-1])
            assert torch.allclose(got[b, q], ref, atol=1e-6)


def test_ensemble_inference_runs(weights):
    model = build(weights, ensemble=dict(alpha=0.4, beta=0.8), fusion='none')
    model.eval()
    model.decode_head.text.set_test_vocabulary(VOCAB + ['sky'])
    with torch.no_grad():
        probs, _ = model.decode_head.predict_components(
            model.extract_feat(torch.randn(1, 3, 64, 64)), [samples(1)[0].metainfo])
    assert probs.shape == (1, 10, 6) and torch.all(probs.sum(-1) <= 1 + 1e-5)


def test_stock_mask2former_config_with_ovsnet_head(weights, tmp_path):
    """A stock mmseg config (ResNet backbone, stock EncoderDecoder) takes OVSNetHead with
    fusion='none'; its text comes from a text-only tower, not a registered module."""
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from mmopen.clip import FrozenCLIP
    cfg_file = tmp_path / 'm2f_ovsnet.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = 'mmseg::mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'
        custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
        model = dict(
            backbone=dict(init_cfg=None),
            decode_head=dict(
                type='OVSNetHead',
                text_encoder=dict(model_name='mmopen-tiny-convnext', weights={weights!r},
                                  cache_dir=False),
                vocabulary='ade_150',
                fusion='none',
                num_classes=None,
                train_cfg=dict(num_points=1024)))
    '''))
    cfg = Config.fromfile(str(cfg_file))
    init_default_scope('mmseg')
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 64), samples(2, num_classes=150))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.decode_head.query_proj.weight.grad is not None
    clip = model.decode_head.text.clip
    assert isinstance(clip, FrozenCLIP) and clip.text_only
    assert not [m for m in model.modules() if isinstance(m, FrozenCLIP)]


# ---------------------------------------------------------------- ignore-aware mask losses
def _ignore_case(head, ignored=True, seed=0):
    """One 32 x 32 image: class 0 on the left, class 1 on the right, a 16 x 16 ignored block
    in the middle (mask cells 2-5 of the 8 x 8 mask logits); query 0 predicts class 0's half,
    query 1 class 1's, the others no object. Returns the head's inputs of one decoder layer
    (mask logits with gradients)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    label = torch.zeros(1, 32, 32, dtype=torch.long)
    label[..., 16:] = 1
    if ignored:
        label[..., 8:24, 8:24] = 255
    s = SegDataSample(gt_sem_seg=PixelData(data=label))
    s.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32), ori_shape=(32, 32)))
    gt, metas = head._seg_data_to_instance_data([s])
    g = torch.Generator().manual_seed(seed)
    q, c = head.num_queries, head.num_classes
    cls = torch.randn(1, q, c + 1, generator=g)
    cls[0, :, -1] += 4.0
    cls[0, 0, 0] += 8.0
    cls[0, 1, 1] += 8.0
    masks = torch.randn(1, q, 8, 8, generator=g)
    masks[0, 0, :, :4] += 3.0
    masks[0, 1, :, 4:] += 3.0
    return cls, masks.requires_grad_(True), gt, metas


def _layer_losses(head, cls, masks, gt, metas, seed=11):
    torch.manual_seed(seed)
    return head._loss_by_feat_single(cls, masks, gt, metas)[:3]


@pytest.fixture(scope='module')
def heads(weights):
    aware = build(weights, ignore_aware_mask_loss=True).decode_head
    plain = build(weights, ignore_aware_mask_loss=False).decode_head
    return aware, plain


def test_ignore_aware_losses_equal_mask2formers_without_ignored_pixels(heads):
    aware, plain = heads
    got = _layer_losses(aware, *_ignore_case(aware, ignored=False))
    want = _layer_losses(plain, *_ignore_case(plain, ignored=False))
    for a, b in zip(got, want):
        assert torch.allclose(a, b, rtol=1e-6, atol=0), (got, want)


def test_ignored_mask_logits_change_no_loss_and_get_no_gradient(heads):
    """Logits of mask cells inside the ignored block (one cell from its border, so that no
    labelled point's bilinear stencil reads them) are moved: the ignore-aware losses stay
    equal and their gradient there is zero; Mask2Former's losses move."""
    aware, plain = heads
    for head, blind in ((aware, False), (plain, True)):
        cls, masks, gt, metas = _ignore_case(head)
        losses = _layer_losses(head, cls, masks, gt, metas)
        sum(losses).backward()
        moved = masks.detach().clone()
        moved[:, :, 3:5, 3:5] += torch.randn(moved.shape[:2] + (2, 2)) * 5
        after = _layer_losses(head, cls, moved, gt, metas)
        inside = masks.grad[:, :, 3:5, 3:5].abs().max()
        if blind:
            assert inside > 0 and any(not torch.equal(a, b) for a, b in zip(losses, after))
        else:
            assert inside == 0
            for a, b in zip(losses, after):
                assert torch.equal(a, b), (losses, after)


def test_labelled_points_keep_mask2formers_bce_gradient(heads):
    """With uniform points only (the same random points for both heads), the mask BCE's
    gradient on labelled cells away from the ignored block is Mask2Former's, and zero inside
    the block where Mask2Former's pushes the masks to 0."""
    grads = []
    for head in heads:
        head.importance_sample_ratio = 0.0
        try:
            cls, masks, gt, metas = _ignore_case(head)
            _, loss_mask, _ = _layer_losses(head, cls, masks, gt, metas)
            loss_mask.backward()
        finally:
            head.importance_sample_ratio = 0.75
        grads.append(masks.grad[0, :2])
    aware, plain = grads
    far = torch.ones(8, 8, dtype=torch.bool)
    far[1:7, 1:7] = False  # cells whose points' stencils may touch the block
    assert torch.allclose(aware[:, far], plain[:, far], rtol=1e-5, atol=1e-9)
    assert aware[:, 3:5, 3:5].abs().max() == 0 and plain[:, 3:5, 3:5].abs().max() > 0


def test_losses_and_matched_labels_are_mmdets(heads):
    """The plain head's losses of every layer and the final layer's matched labels are
    mmdet's: ``Mask2FormerHead._loss_by_feat_single`` and ``get_targets`` of mmdet itself
    called on the same inputs with the same random state (point sampling draws random numbers:
    the order of the draws must be mmdet's too). Catches a loss step that drifts from mmdet's,
    a dict in another order or with other names, and labels of another layer or matching."""
    from mmdet.models.dense_heads import Mask2FormerHead as MMDetHead
    _, plain = heads
    cases = [_ignore_case(plain, ignored=False, seed=s) for s in (0, 1, 2)]  # 3 "layers"
    gt, metas = cases[0][2], cases[0][3]
    all_cls, all_masks = [c[0] for c in cases], [c[1] for c in cases]
    # the final layer's queries 2 and 3 hold the classes (0 and 1 in the others)
    all_cls[-1], all_masks[-1] = all_cls[-1].roll(2, dims=1), all_masks[-1].roll(2, dims=1)
    torch.manual_seed(5)
    losses, labels = plain.losses_and_matches(all_cls, all_masks, gt, metas)
    torch.manual_seed(5)
    want = [MMDetHead._loss_by_feat_single(plain, c, m, gt, metas)
            for c, m in zip(all_cls, all_masks)]
    names = ['loss_cls', 'loss_mask', 'loss_dice']
    assert list(losses) == names + [f'd{i}.{n}' for i in range(2) for n in names]
    for prefix, layer in zip(['d0.', 'd1.', ''], want):
        for name, value in zip(names, layer):
            assert torch.equal(losses[prefix + name], value), (prefix + name, losses, want)
    torch.manual_seed(0)
    mm_labels = MMDetHead.get_targets(plain, list(all_cls[-1]), list(all_masks[-1]), gt,
                                      metas)[0]
    assert torch.equal(labels, torch.stack(mm_labels))
    assert labels[0, 2:4].tolist() == [0, 1] and (labels < plain.num_classes).sum() == 2


def test_ignore_aware_loss_refuses_other_mask_losses(weights):
    with pytest.raises(ValueError, match='ignore_aware_mask_loss'):
        build(weights, ignore_aware_mask_loss=True,
              loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=False, activate=False))
