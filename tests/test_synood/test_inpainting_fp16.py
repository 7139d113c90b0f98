"""Generation ``--amp`` (fp16 diffusion components): the clear error on CPU, and the guided
inpainting loop's dtype handling in half precision (on CPU with half weights cast by hand; on
CUDA as ``--amp`` loads them, skipped without CUDA). The CLIP and training fp16 paths are in
``tests/test_fp16_paths.py``."""
import copy

import pytest
import torch

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')


def _cos(a, b):
    return torch.nn.functional.cosine_similarity(a.float().flatten(1), b.float().flatten(1))


def test_generation_amp_without_cuda_is_refused():
    from mmopen.diffusion.loading import resolve_dtype
    with pytest.raises(ValueError, match='needs a CUDA device'):
        resolve_dtype('cpu', True)
    assert resolve_dtype('cuda:1', True) == torch.float16


def _guided(model, device):
    from mmopen.diffusion import GuidanceSettings, GuidedInpainter
    settings = GuidanceSettings.from_dict(dict(outer_iters=1, steps=10, step_size=50.0,
                                               loss='squared'))
    inpainter = GuidedInpainter(model, settings)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(2, 3, 32, 32, generator=g)
    noise = torch.randn(inpainter.latent_shape(2, 32, 32), generator=g)
    head = torch.nn.Linear(3, 5).to(device)
    torch.nn.init.normal_(head.weight, std=3.0, generator=torch.Generator().manual_seed(1))
    torch.nn.init.zeros_(head.bias)

    def classifier(x):  # fp32 guidance classifier over the decoded images, as CLIP / ResNet
        return head(x.float().mean((2, 3)))

    return inpainter(images, ['a photo of a cross', 'a photo of a ring'], noise, classifier), \
        noise


def _half(model, device):
    return model._replace(**{name: copy.deepcopy(getattr(model, name)).half().to(device)
                             for name in ('unet', 'vae', 'text_encoder')})


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=CUDA)])
def test_guided_inpainting_in_fp16_matches_fp32(tiny_inpaint, device):
    """fp16 diffusion components (generation --amp): the image comes back fp32 in [0, 1], the
    noise update is computed and applied in fp32, and both match the fp32 run (a gradient that
    underflowed in half precision would leave the noise where it started)."""
    from mmopen.diffusion import load_inpaint_model
    model = load_inpaint_model(tiny_inpaint)
    ref, noise = _guided(model, 'cpu')
    if device == 'cuda':
        half = load_inpaint_model(tiny_inpaint, device='cuda', fp16=True)
    else:  # load_inpaint_model refuses fp16 on CPU (slow, no speed-up): cast by hand
        half = _half(model, device)
    assert half.dtype == torch.float16
    got, _ = _guided(half, device)
    assert got.images.dtype == torch.float32 and got.noise.dtype == torch.float32
    assert float(got.images.min()) >= 0 and float(got.images.max()) <= 1
    assert torch.isfinite(got.losses).all()
    moved_ref = ref.noise - noise
    moved = got.noise - noise
    # measured on CPU: update size ratio 0.97-1.03, cosine > 0.998, mean image difference
    # < 0.006 (default threads and one thread); the bars leave an order of magnitude for other
    # CPUs' half kernels and still fail an update lost to underflow (ratio 0, cosine undefined)
    assert moved.abs().max() > 0.1 * moved_ref.abs().max() > 0  # the fp16 update happened
    assert _cos(moved, moved_ref).min() > 0.9
    assert (got.images - ref.images).abs().mean() < 0.05
