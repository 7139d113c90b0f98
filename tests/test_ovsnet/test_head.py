"""OVSNetHead in models: gradients, vocabulary changes, the stock Mask2Former config."""
import os.path as osp
import textwrap

import pytest
import torch

import mmopen  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QS = osp.join(REPO, 'configs', 'ovsnet', 'quickstart', 'ovsnet_clip-tiny-convnext_quickstart.py')


def _samples(n, size=64, num_classes=5, seed=0):
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


@pytest.fixture(scope='module')
def ovs_model(tiny_clip_files):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(QS)
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    cfg.model.backbone.weights = cfg.model.decode_head.text_encoder.weights = weights
    cfg.model.decode_head.vocabulary = ['wall', 'grass', 'ball', 'box', 'tent']
    init_default_scope('mmseg')
    return MODELS.build(cfg.model)


def test_training_step_reaches_the_head_and_never_the_frozen_clip(ovs_model):
    torch.manual_seed(0)
    ovs_model.train()
    losses = ovs_model.loss(torch.randn(2, 3, 64, 64), _samples(2))
    assert {'decode.loss_cls', 'decode.loss_mask', 'decode.loss_dice',
            'decode.loss_proxy'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    ovs_model.zero_grad()
    total.backward()
    clip_params = list(ovs_model.backbone.parameters())
    assert clip_params and all(p.grad is None for p in clip_params)
    head = ovs_model.decode_head
    for name in ('query_proj.weight', 'logit_scale', 'void_logit'):
        assert head.get_parameter(name).grad is not None, name
    assert head.get_parameter('query_proj.weight').grad.abs().sum() > 0


def test_any_vocabulary_at_inference(ovs_model):
    ovs_model.eval()
    ovs_model.decode_head.set_test_vocabulary(
        ['wall', 'grass', 'ball', 'box', 'tent', 'sky, heaven', 'car', 'others, background'])
    with torch.no_grad():
        preds = ovs_model.predict(torch.randn(2, 3, 64, 64), _samples(2))
    labels = torch.cat([p.pred_sem_seg.data for p in preds])
    assert labels.shape == (2, 64, 64) and labels.max() < 8
    ovs_model.decode_head.set_test_vocabulary('voc_20')
    with torch.no_grad():
        logits = ovs_model.decode_head.predict(ovs_model.extract_feat(torch.randn(1, 3, 64, 64)),
                                               [_samples(1)[0].metainfo], {})
    assert logits.shape == (1, 20, 64, 64)


def test_vocabulary_hook_uses_the_dataset_classes(ovs_model):
    from types import SimpleNamespace

    from mmopen.engine import OpenVocabularyHook
    loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(
        classes=('a', 'b'), vocabulary=(('sofa', 'couch'), ('cat', )))))
    runner = SimpleNamespace(model=ovs_model, val_dataloader=loader,
                             logger=SimpleNamespace(info=lambda *a: None))
    OpenVocabularyHook().before_val(runner)
    assert ovs_model.decode_head.test_vocabulary == [['sofa', 'couch'], ['cat']]


def test_stock_mask2former_config_with_ovsnet_head(tiny_clip_files, tmp_path):
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    cfg_file = tmp_path / 'm2f_ovsnet.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = 'mmseg::mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'
        custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
        model = dict(
            backbone=dict(init_cfg=None),
            decode_head=dict(
                type='OVSNetHead',
                text_encoder=dict(model_name='mmopen-tiny-convnext', weights={weights!r}),
                vocabulary='ade_150',
                fusion='none',
                num_classes=None,
                train_cfg=dict(num_points=1024)))
    '''))
    cfg = Config.fromfile(str(cfg_file))
    init_default_scope('mmseg')
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 64), _samples(2, num_classes=150))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.decode_head.query_proj.weight.grad is not None


def test_simple_feature_pyramid():
    from mmopen.models.necks import CLIPSimpleFeaturePyramid
    neck = CLIPSimpleFeaturePyramid(in_channels=32, out_channels=16, in_stride=8)
    tokens, emb = torch.randn(2, 32, 8, 8), torch.randn(2, 24, 8, 8)
    outs = neck((tokens, emb))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 16, 16), (2, 16, 8, 8), (2, 16, 4, 4),
                                             (2, 16, 2, 2), (2, 24, 8, 8)]
    assert outs[-1] is emb
