"""Pseudo-unknown generation on the SeeCLIP quickstart's tiny models: the negative prompt is
the guidance's unconditional branch, the token guidance lowers its loss, the result depends on
the seed, and online generation appends labelled pseudo-unknowns to a batch."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch


@pytest.fixture(scope='module', autouse=True)
def _mmpretrain_scope():
    """Registry builds resolve in mmpretrain's scope whatever an earlier test set."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')


@pytest.fixture(scope='module')
def model(seeclip_assets):
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS

    # the quickstart's semantic tokens (mmopen's variant: the released attention makes every
    # token of the tiny CLIP the mean patch)
    return MODELS.build(dict(
        type='SeeCLIPClassifier', clip=dict(model_name='mmopen-tiny-vit',
                                            weights=seeclip_assets['clip']),
        benchmark=osp.join(seeclip_assets['osdg'], 'benchmark.json'),
        attention='competitive', query_init='orthonormal')).eval()


@pytest.fixture(scope='module')
def generator(seeclip_assets, model):
    from mmopen.osdg.seeclip import PseudoUnknownGenerator
    return PseudoUnknownGenerator(seeclip_assets['inpaint'], model.class_names, resolution=32,
                                  device='cpu')


@pytest.fixture(scope='module')
def sources(seeclip_assets):
    from PIL import Image

    from mmopen.diffusion.images import from_uint8
    files = sorted(glob.glob(osp.join(seeclip_assets['osdg'], 'photo', '*', '*_0000.jpg')))[:4]
    imgs = [np.asarray(Image.open(f).convert('RGB')) for f in files]
    return from_uint8(imgs, 32)


def test_the_negative_prompt_is_the_unconditional_branch(generator, model):
    inp = generator.inpainter
    states = inp.encode_prompts(['A photo image of an unknown class'])
    tok = generator.model.tokenizer
    ids = tok([', '.join(model.class_names)], padding='max_length',
              max_length=tok.model_max_length, return_tensors='pt').input_ids
    with torch.no_grad():
        neg = generator.model.text_encoder(ids)[0]
    assert torch.allclose(states[0], neg[0], atol=1e-6)
    empty = tok([''], padding='max_length', max_length=tok.model_max_length,
                return_tensors='pt').input_ids
    with torch.no_grad():
        assert not torch.allclose(states[0], generator.model.text_encoder(empty)[0][0])


def test_token_guidance_lowers_the_distance_to_the_perturbed_tokens(generator, model, sources):
    out = generator(sources, ['photo'] * 4, [0, 1, 2, 3], model.semantic_tokens_of_images)
    losses = out.losses  # (outer_iters + 1) x B
    assert losses.shape == (4, 4)
    assert bool((losses[-1] < losses[0]).all()), losses
    assert float(losses[-1].mean()) < 0.9 * float(losses[0].mean())
    assert out.prompts == ['A photo image of an unknown class'] * 4


def test_the_seed_sets_noise_and_perturbation(generator, model, sources):
    from mmopen.osdg.seeclip.pseudo_unknowns import with_settings
    quick = with_settings(generator, outer_iters=1)
    a = quick(sources[:2], ['photo'] * 2, [5, 6], model.semantic_tokens_of_images).images
    b = quick(sources[:2], ['photo'] * 2, [5, 6], model.semantic_tokens_of_images).images
    c = quick(sources[:2], ['photo'] * 2, [7, 6], model.semantic_tokens_of_images).images
    assert torch.equal(a, b)
    assert not torch.allclose(a[0], c[0], atol=1e-3) and torch.allclose(a[1], c[1], atol=1e-5)


def test_online_pseudo_unknowns_join_the_batch_as_unknown(seeclip_assets, model):
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    online = MODELS.build(dict(
        type='SeeCLIPClassifier', clip=dict(model_name='mmopen-tiny-vit',
                                            weights=seeclip_assets['clip']),
        benchmark=osp.join(seeclip_assets['osdg'], 'benchmark.json'),
        pseudo_unknowns=dict(inpaint_model=seeclip_assets['inpaint'], fraction=0.25,
                             resolution=32, guidance=dict(outer_iters=1)),
        attention='competitive', query_init='orthonormal'))  # the module's model's
    online.load_state_dict(model.state_dict())
    online.train()
    x = torch.randn(4, 3, 32, 32)
    samples = []
    for y in (0, 1, 2, 3):
        ds = DataSample().set_gt_label(y)
        ds.set_metainfo(dict(domain='sketch'))
        samples.append(ds)
    labels = torch.tensor([0, 1, 2, 3])
    inputs, new_labels = online.add_pseudo_unknowns(x, labels, samples)
    assert inputs.shape == (5, 3, 32, 32) and new_labels.tolist() == [0, 1, 2, 3, 4]
    assert torch.equal(inputs[:4], x)
    assert min(float((inputs[4] - x[i]).abs().mean()) for i in range(4)) > 0.05
    losses = online.loss(x, samples)
    assert torch.isfinite(sum(v for k, v in losses.items() if k.startswith('loss')))
    with pytest.raises(ValueError, match='fraction'):
        MODELS.build(dict(type='SeeCLIPClassifier', classes=['a'],
                          clip=dict(model_name='mmopen-tiny-vit',
                                    weights=seeclip_assets['clip']),
                          pseudo_unknowns=dict(inpaint_model='x', fraction=0)))


def test_release_settings_one_domain_word_and_absolute_noise(seeclip_assets, model, sources):
    """The paper configs' settings against the release's lines: every prompt is
    ``f"A {domainnames[0]} image of an unknown class"`` whatever the image's domain, and the
    perturbed tokens are ``s + torch.randn_like(s) * sigma`` (here drawn from the image's seed:
    the same draw, scaled by sigma alone, not by the token's RMS)."""
    import copy

    from mmopen.osdg.seeclip import PseudoUnknownGenerator
    release = PseudoUnknownGenerator(seeclip_assets['inpaint'], model.class_names, resolution=32,
                                     device='cpu', noise='absolute', prompt_domain='photo',
                                     guidance=dict(outer_iters=0))
    seen = {}
    inpainter = release.inpainter

    def spy(x, prompts, noise, loss_fn):
        seen['prompts'] = list(prompts)
        seen['targets'] = loss_fn  # the distance to the perturbed tokens
        return inpainter(x, prompts, noise, loss_fn)

    spied = copy.copy(release)
    spied.inpainter = spy
    spied(sources[:2], ['sketch', 'cartoon'], [3, 4], model.semantic_tokens_of_images)
    assert seen['prompts'] == ['A photo image of an unknown class'] * 2
    with torch.no_grad():
        tokens = model.semantic_tokens_of_images(sources[:2]).float()
    # the release's perturbation of each image's tokens, from the same generator draw
    expected = torch.cat([
        tokens[i:i + 1] + torch.randn(tokens[i:i + 1].shape,
                                      generator=torch.Generator().manual_seed(s + 1)) * 0.2
        for i, s in enumerate([3, 4])])
    # a loss of 0 at the expected targets: the generator's targets are the release's
    zero = seen['targets'](sources[:2])  # token_distance(tokens(x), target)
    direct = ((tokens - expected) ** 2).sum(dim=(1, 2))
    assert torch.allclose(zero, direct, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='noise'):
        PseudoUnknownGenerator(seeclip_assets['inpaint'], model.class_names, noise='scaled')


def test_prompt_domain_first_is_the_first_source_domain():
    from mmopen.utils.tool_main import load_tool
    tool = load_tool('tools/seeclip/generate_pseudo_unknowns.py')
    assert tool.resolve_prompt_domain('first', ['photo', 'painting']) == 'photo'
    assert tool.resolve_prompt_domain('own', ['photo']) is None
    assert tool.resolve_prompt_domain(None, ['photo']) is None
    assert tool.resolve_prompt_domain('art', ['photo']) == 'art'
