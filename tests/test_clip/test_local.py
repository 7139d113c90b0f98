"""GL-MCM's global + local embeddings checked against open_clip's own modules."""
import pytest
import torch

from mmopen.clip import FrozenCLIP


@pytest.fixture(scope='module')
def towers(tiny_clip_files):
    return {name: FrozenCLIP(name, tiny_clip_files[(name, 'safetensors')], cache_dir=False)
            for name in ('mmopen-tiny-convnext', 'mmopen-tiny-vit')}


@pytest.mark.parametrize('name', ['mmopen-tiny-convnext', 'mmopen-tiny-vit'])
def test_global_is_encode_image(towers, name):
    clip = towers[name]
    x = torch.randn(2, 3, 32, 32)
    glob, local = clip.global_and_local(x)
    assert torch.allclose(glob, clip.encode_image(x, normalize=False), atol=1e-5)
    assert local.shape[0] == 2 and local.shape[2] == glob.shape[1]


def test_vit_local_is_last_block_with_self_attention_only(towers):
    """Reference: open_clip's own last block run with an attention mask that lets every token
    attend only to itself (the softmax is then the identity, so attention = out_proj of the
    value), followed by ln_post and proj. Catches using the plain patch tokens (real
    attention), dropping the residual or the MLP, or keeping the CLS token."""
    clip = towers['mmopen-tiny-vit']
    visual = clip.visual
    x = torch.randn(2, 3, 32, 32)
    tokens = visual._embeds(x)
    blocks = visual.transformer.resblocks
    for block in blocks[:-1]:
        tokens = block(tokens)
    n = tokens.shape[1]
    self_only = torch.full((n, n), float('-inf'))
    self_only.fill_diagonal_(0.0)
    v = blocks[-1](tokens, attn_mask=self_only)
    ref = visual.ln_post(v[:, 1:]) @ visual.proj
    _, local = clip.global_and_local(x)
    assert local.shape == (2, 16, ref.shape[-1])
    assert torch.allclose(local, ref, atol=1e-5)
    # the real attention gives other features: the value path is not the patch tokens
    plain = clip.dense_features(x).embeddings.flatten(2).transpose(1, 2)
    assert not torch.allclose(local, plain, atol=1e-3)


def test_convnext_local_is_the_head_at_every_position(towers):
    clip = towers['mmopen-tiny-convnext']
    x = torch.randn(2, 3, 64, 64)
    _, local = clip.global_and_local(x)
    emb = clip.dense_features(x).embeddings  # B x D x 2 x 2
    assert torch.allclose(local, emb.flatten(2).transpose(1, 2), atol=1e-5)
