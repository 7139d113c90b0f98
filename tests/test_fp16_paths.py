"""Half-precision paths of CLIP (``precision='fp16'``) and training (``--amp``); generation
``--amp`` is in ``tests/test_synood/test_inpainting_fp16.py``. On CPU each path's dtype handling
is checked (half weights where the CPU runs them, fp16 autocast as ``AmpOptimWrapper`` applies
it, the clear error where CUDA is required); with CUDA the same paths run on the GPU (skipped
without one)."""
import os.path as osp

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')


def _cos(a, b):
    return torch.nn.functional.cosine_similarity(a.float().flatten(1), b.float().flatten(1))


# ------------------------------------------------------------------ CLIP precision='fp16'
@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=CUDA)])
def test_clip_fp16_image_and_text_towers(tiny_clip_files, device):
    from mmopen.clip import FrozenCLIP
    path = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    ref = FrozenCLIP('mmopen-tiny-convnext', path, cache_dir=False)
    half = FrozenCLIP('mmopen-tiny-convnext', path, precision='fp16', cache_dir=False).to(device)
    assert half.dtype == torch.float16
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        img16 = half.encode_image(x.to(device))  # fp32 input: cast to the tower's dtype
        img32 = ref.encode_image(x)
        txt16 = half.encode_text(['a photo of a cross', 'a photo of a ring'])
        txt32 = ref.encode_text(['a photo of a cross', 'a photo of a ring'])
    assert img16.dtype == torch.float16 and torch.isfinite(img16).all()
    # half rounding (2^-11 relative) through a few layers: same directions to ~1e-3
    assert _cos(img16.cpu(), img32).min() > 0.99
    assert _cos(txt16.cpu(), txt32).min() > 0.99


# ------------------------------------------------------------------ --amp training
def test_train_amp_without_cuda_exits_with_a_message(monkeypatch):
    from tests.tool_runner import load_tool
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    train = load_tool('tools/train.py')
    cfg = osp.join(REPO, 'configs', 'ovsnet', 'quickstart',
                   'ovsnet_clip-tiny-convnext_quickstart.py')
    with pytest.raises(SystemExit, match='--amp needs a CUDA device'):
        train.main([cfg, '--amp', '--work-dir', '/nonexistent'])


def _ovs_model(tiny_clip_files):
    from tests.test_models.test_decode_heads.test_ovsnet_head import build
    return build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')], cache_dir=False)


def test_ovsnet_loss_under_fp16_autocast_is_fp32_and_finite(tiny_clip_files):
    """What AmpOptimWrapper does to the forward pass (fp16 autocast), on CPU: the losses come
    out fp32 and finite, and equal the fp32 losses to half precision's accuracy."""
    from tests.test_models.test_decode_heads.test_ovsnet_head import samples
    model = _ovs_model(tiny_clip_files)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    ref = model.loss(x, samples(2))
    torch.manual_seed(0)
    with torch.autocast('cpu', dtype=torch.float16):
        got = model.loss(x, samples(2))
    for key, value in got.items():
        if 'loss' in key:
            assert value.dtype == torch.float32 and torch.isfinite(value), key
    # point sampling is seeded identically; fp16 matmuls move the losses by well under 5%
    assert abs(float(got['decode.loss_cls']) - float(ref['decode.loss_cls'])) < 0.05 * abs(
        float(ref['decode.loss_cls'])) + 1e-3


@CUDA
def test_ovsnet_amp_training_step_on_cuda(tiny_clip_files):
    from mmengine.optim import AmpOptimWrapper

    from tests.test_models.test_decode_heads.test_ovsnet_head import samples
    model = _ovs_model(tiny_clip_files).cuda()
    params = [p for p in model.parameters() if p.requires_grad]
    wrapper = AmpOptimWrapper(optimizer=torch.optim.AdamW(params, lr=1e-4), loss_scale='dynamic')
    before = model.decode_head.query_feat.weight.detach().clone()
    data = [s.to('cuda') for s in samples(2)]
    with wrapper.optim_context(model):
        losses = model.loss(torch.randn(2, 3, 64, 64, device='cuda'), data)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    wrapper.update_params(total)
    assert not torch.equal(before, model.decode_head.query_feat.weight)
