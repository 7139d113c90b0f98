"""Building CLIP by name from local weight files, and the errors for bad files."""
import os.path as osp

import pytest
import torch

from mmopen.clip import CLIPWeightsError, FrozenCLIP
from mmopen.quickstart.tiny_clip import build_random_clip

MODELS = ('mmopen-tiny-convnext', 'mmopen-tiny-vit')
FORMATS = ('safetensors', 'bin', 'openai-jit', 'openai-state-dict')


def _reference_state(path: str, fmt: str) -> dict:
    """Read a weight file with the format's own library, independently of mmopen."""
    if fmt == 'safetensors':
        from safetensors.torch import load_file
        return load_file(path)
    if fmt == 'openai-jit':
        return dict(torch.jit.load(path, map_location='cpu').state_dict())
    sd = torch.load(path, map_location='cpu', weights_only=True)
    return {k: v for k, v in sd.items()
            if k not in ('input_resolution', 'context_length', 'vocab_size')}


@pytest.mark.parametrize('model_name', MODELS)
@pytest.mark.parametrize('fmt', FORMATS)
def test_loads_every_release_format(tiny_clip_files, model_name, fmt):
    path = tiny_clip_files[(model_name, fmt)]
    clip = FrozenCLIP(model_name, path, cache_dir=False)
    ref = _reference_state(path, fmt)
    # the seed-1 random model the file was written from: an independent ground truth
    original = build_random_clip(model_name, seed=1).state_dict()
    loaded = clip.model.state_dict()
    assert set(loaded) == set(original)
    for k, v in loaded.items():
        assert torch.equal(v, original[k]), k
        if k in ref:
            assert torch.equal(v, ref[k]), k
    assert clip.info['quick_gelu'] == (fmt == 'openai-jit')
    # frozen by default, and stays in eval mode
    assert not any(p.requires_grad for p in clip.parameters())
    clip.train()
    assert not clip.model.training


def test_unfrozen_and_fp16(tiny_clip_files):
    path = tiny_clip_files[('mmopen-tiny-vit', 'safetensors')]
    clip = FrozenCLIP('mmopen-tiny-vit', path, frozen=False, cache_dir=False)
    assert all(p.requires_grad for p in clip.parameters())
    clip.train()
    assert clip.model.training
    half = FrozenCLIP('mmopen-tiny-vit', path, precision='fp16', cache_dir=False)
    assert half.dtype == torch.float16
    emb32 = FrozenCLIP('mmopen-tiny-vit', path, cache_dir=False).encode_text(['a photo of a cat'])
    emb16 = half.encode_text(['a photo of a cat'])
    assert emb16.dtype == torch.float16
    assert torch.allclose(emb16.float(), emb32, atol=2e-2)


def test_missing_file_error(tmp_path):
    path = str(tmp_path / 'nowhere' / 'ViT-B-16.pt')
    with pytest.raises(CLIPWeightsError) as info:
        FrozenCLIP('mmopen-tiny-vit', path, cache_dir=False)
    msg = str(info.value)
    assert path in msg and 'does not exist' in msg and "'mmopen-tiny-vit'" in msg
    assert 'open_clip checkpoint (.bin / .safetensors' in msg and 'OpenAI' in msg


@pytest.mark.parametrize('fmt', FORMATS)
def test_file_of_another_model_error(tiny_clip_files, fmt):
    path = tiny_clip_files[('mmopen-tiny-vit', fmt)]
    with pytest.raises(CLIPWeightsError) as info:
        FrozenCLIP('mmopen-tiny-convnext', path, cache_dir=False)
    msg = str(info.value)
    assert path in msg and "'mmopen-tiny-convnext'" in msg
    assert 'not for the open_clip model' in msg or 'does not fit' in msg
    assert 'Expected a local weight file' in msg


@pytest.mark.parametrize('fmt', FORMATS)
def test_truncated_file_error(tiny_clip_files, tmp_path, fmt):
    src = tiny_clip_files[('mmopen-tiny-convnext', fmt)]
    with open(src, 'rb') as f:
        data = f.read()
    path = str(tmp_path / osp.basename(src))
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CLIPWeightsError) as info:
        FrozenCLIP('mmopen-tiny-convnext', path, cache_dir=False)
    msg = str(info.value)
    assert path in msg and 'truncated or corrupt' in msg and "'mmopen-tiny-convnext'" in msg


def test_not_a_weight_file_error(tmp_path):
    path = str(tmp_path / 'notes.bin')
    with open(path, 'w') as f:
        f.write('not weights')
    with pytest.raises(CLIPWeightsError, match='truncated or corrupt'):
        FrozenCLIP('mmopen-tiny-convnext', path, cache_dir=False)


def test_unknown_model_and_precision():
    with pytest.raises(ValueError, match='Unknown open_clip model'):
        FrozenCLIP('ViT-Z-99', None, cache_dir=False)
    with pytest.raises(ValueError, match='precision'):
        FrozenCLIP('mmopen-tiny-vit', None, precision='int3', cache_dir=False)


@pytest.mark.parametrize('name', ['ViT-B-16', 'convnext_base_w', 'convnext_large_d_320'])
def test_paper_backbones_are_known_architectures(name):
    import open_clip
    assert open_clip.get_model_config(name) is not None
