"""Dense CLIP features checked against open_clip's own forward passes."""
import pytest
import torch
from torch import nn

from mmopen.clip import FrozenCLIP


@pytest.fixture(scope='module')
def convnext(tiny_clip_files):
    return FrozenCLIP('mmopen-tiny-convnext',
                      tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')], cache_dir=False)


@pytest.fixture(scope='module')
def vit(tiny_clip_files):
    return FrozenCLIP('mmopen-tiny-vit', tiny_clip_files[('mmopen-tiny-vit', 'safetensors')],
                      cache_dir=False)


def test_convnext_levels_and_pooled_embedding(convnext):
    x = torch.randn(2, 3, 64, 96)
    dense = convnext.dense_features(x)
    assert dense.strides == [4, 8, 16, 32]
    assert [f.shape[1] for f in dense.features] == [16, 32, 48, 64] == convnext.level_channels
    assert [tuple(f.shape[2:]) for f in dense.features] == [(16, 24), (8, 12), (4, 6), (2, 3)]
    assert dense.embeddings.shape == (2, 32, 2, 3)
    assert dense.pool_features.shape == (2, 64, 2, 3)
    # Average-pooling the pooling features then mapping them with the tower's head must be
    # the tower's own global embedding (a full-image mask, FC-CLIP's order).
    pooled = dense.pool_features.mean(dim=(2, 3))
    ref = convnext.model.encode_image(x)
    assert torch.allclose(convnext.pooled_to_embedding(pooled), ref, atol=1e-5)
    # The dense map is the same head applied at every position; pooling it is not the same
    # (the head is not linear), which is why mask pooling reads pool_features.
    per_pixel = convnext.pooled_to_embedding(dense.pool_features.permute(0, 2, 3, 1))
    assert torch.allclose(per_pixel.permute(0, 3, 1, 2), dense.embeddings, atol=1e-5)
    assert not torch.allclose(dense.embeddings.mean(dim=(2, 3)), ref, atol=1e-3)
    # trunk stage outputs agree with timm's own feature extraction
    ref_feats = convnext.visual.trunk.forward_intermediates(x, intermediates_only=True)
    for ours, theirs in zip(dense.features, ref_feats):
        assert torch.allclose(ours, theirs, atol=1e-5)


def test_vit_tokens_and_embeddings(vit):
    x = torch.randn(2, 3, 32, 32)
    dense = vit.dense_features(x, out_indices=(0, 1))
    assert dense.strides == [8, 8]
    assert [tuple(f.shape) for f in dense.features] == [(2, 32, 4, 4)] * 2
    ref = vit.visual.forward_intermediates(x, indices=[0, 1], intermediates_only=True)
    for ours, theirs in zip(dense.features, ref['image_intermediates']):
        assert torch.allclose(ours, theirs, atol=1e-5)
    # open_clip's token output (ln_post applied, before the projection)
    vit.visual.output_tokens = True
    try:
        _, tokens = vit.visual(x)
    finally:
        vit.visual.output_tokens = False
    ref_emb = (tokens @ vit.visual.proj).transpose(1, 2).reshape(2, -1, 4, 4)
    assert torch.allclose(dense.embeddings, ref_emb, atol=1e-5)


@pytest.mark.parametrize('ln_after_pool', [True, False])
def test_average_pooled_vit_full_mask_pooling_is_encode_image(ln_after_pool):
    """For a ViT that averages its patch tokens (ln_post before or after the pool), pooling
    ``pool_features`` under a full-image mask and applying the head is open_clip's forward."""
    from open_clip.transformer import VisionTransformer

    from mmopen.clip.dense import dense_features, pooled_to_embedding
    from mmopen.ovs import mask_pool
    torch.manual_seed(0)
    visual = VisionTransformer(image_size=32, patch_size=8, width=32, layers=2, heads=4,
                               mlp_ratio=2.0, output_dim=24, pool_type='avg',
                               final_ln_after_pool=ln_after_pool).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        dense = dense_features(visual, x)
        full = torch.ones(2, 1, 4, 4)
        got = pooled_to_embedding(visual, mask_pool(dense.pool_features, full))[:, 0]
        assert torch.allclose(got, visual(x), atol=1e-5)


def test_vit_other_resolution(vit):
    dense = vit.dense_features(torch.randn(1, 3, 48, 64))
    assert tuple(dense.features[0].shape) == (1, 32, 6, 8)
    assert dense.embeddings.shape == (1, 32, 6, 8)
    assert torch.isfinite(dense.embeddings).all()


def test_no_gradient_reaches_frozen_clip(convnext):
    head = nn.Conv2d(64, 3, 1)
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    feats = convnext.dense_features(x).features[-1]
    loss = head(feats).square().mean()
    loss.backward()
    assert head.weight.grad is not None
    assert all(p.grad is None for p in convnext.parameters())
