"""The GPU kit's operator module for an mmcv without compiled operators: mmcv's deformable
attention autograd function, which calls the module on CUDA, gives the forward and the
gradients of mmcv's PyTorch path through it (argument order, in-place gradients)."""
import importlib.util

import pytest
import torch


@pytest.fixture(scope='module')
def kit_ext():
    spec = importlib.util.spec_from_file_location('kit_mmcv_ext',
                                                  'tools/misc/gpu_kit/mmcv_ext.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[4, 6], [2, 3]])
    start = torch.tensor([0, 24])
    bs, heads, dim, queries, levels, points = 2, 2, 4, 5, 2, 3
    value = torch.randn(bs, 30, heads, dim, generator=g, dtype=dtype)
    loc = torch.rand(bs, queries, heads, levels, points, 2, generator=g, dtype=dtype)
    w = torch.rand(bs, queries, heads, levels, points, generator=g, dtype=dtype)
    w = w / w.sum((-1, -2), keepdim=True)
    return value, shapes, start, loc, w


def test_the_autograd_function_through_the_kit_module_matches_pytorch(kit_ext, monkeypatch):
    from mmcv.ops import multi_scale_deform_attn as msda
    monkeypatch.setattr(msda, 'ext_module', kit_ext)
    value, shapes, start, loc, w = _inputs()
    args = [t.clone().requires_grad_(True) for t in (value, loc, w)]
    out = msda.MultiScaleDeformableAttnFunction.apply(args[0], shapes, start, args[1], args[2],
                                                      64)
    ref_args = [t.clone().requires_grad_(True) for t in (value, loc, w)]
    ref = msda.multi_scale_deformable_attn_pytorch(ref_args[0], shapes, ref_args[1],
                                                   ref_args[2])
    assert out.shape == (2, 5, 8) and torch.allclose(out, ref)
    grad = torch.randn_like(out)
    got = torch.autograd.grad(out, args, grad)
    want = torch.autograd.grad(ref, ref_args, grad)
    for a, b in zip(got, want):
        assert a.abs().sum() > 0 and torch.allclose(a, b)
    # the function's own gradient check (float64, finite differences)
    assert torch.autograd.gradcheck(
        lambda v, p, a: msda.MultiScaleDeformableAttnFunction.apply(v, shapes, start, p, a, 64),
        [t.clone().requires_grad_(True) for t in (value, loc, w)], eps=1e-6, atol=1e-4)


def test_every_other_operator_name_resolves_and_refuses_when_called(kit_ext):
    assert hasattr(kit_ext, 'nms') and hasattr(kit_ext, 'deform_conv_forward')
    with pytest.raises(RuntimeError, match="operator 'nms' is not installed.*MMCV_WITH_OPS=1"):
        kit_ext.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
