"""Text embeddings: template ensembles and synonyms against a hand computation; caching."""
import os
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmopen.clip import FrozenCLIP
from mmopen.clip import text as text_mod
from mmopen.clip.templates import IMAGENET_80, VILD_14, resolve_templates


@pytest.fixture
def clip(tiny_clip_files, tmp_path):
    text_mod.clear_memory_cache()
    return FrozenCLIP('mmopen-tiny-vit', tiny_clip_files[('mmopen-tiny-vit', 'bin')],
                      cache_dir=str(tmp_path / 'cache'))


def _count_encodes(monkeypatch, clip):
    calls = []
    real = FrozenCLIP.encode_text

    def counting(self, texts, normalize=True):
        calls.append(len(texts))
        return real(self, texts, normalize)

    monkeypatch.setattr(FrozenCLIP, 'encode_text', counting)
    return calls


def test_ensemble_matches_hand_computation(clip):
    vocab = ['sofa, couch', 'cat']
    templates = ['a photo of a {}.', 'a {} in the scene']
    emb = clip.text_embeddings(vocab, templates)
    model, tok = clip.model, clip.tokenizer

    def one(prompt):
        with torch.no_grad():
            e = model.encode_text(tok([prompt]))[0]
        return e / e.norm()

    sofa = torch.stack([one(t.format(n)) for n in ('sofa', 'couch') for t in templates]).mean(0)
    cat = torch.stack([one(t.format('cat')) for t in templates]).mean(0)
    ref = torch.stack([sofa / sofa.norm(), cat / cat.norm()])
    assert emb.shape == (2, 32) and emb.dtype == torch.float32
    assert torch.allclose(emb, ref, atol=1e-5)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(2), atol=1e-6)


def test_cache_encodes_each_vocabulary_once(clip, monkeypatch, tiny_clip_files, tmp_path):
    calls = _count_encodes(monkeypatch, clip)
    vocab = ['wall', 'grass, lawn', 'ball']
    first = clip.text_embeddings(vocab, 'vild')
    assert sum(calls) == 4 * len(VILD_14)
    again = clip.text_embeddings(vocab, 'vild')
    assert sum(calls) == 4 * len(VILD_14) and torch.equal(first, again)
    # persisted: a fresh process (memory cache cleared) reads it from disk
    files = os.listdir(osp.join(clip.cache_dir, 'text_embeddings'))
    assert len([f for f in files if f.endswith('.safetensors')]) == 1
    assert not [f for f in files if f.endswith('.tmp')]
    text_mod.clear_memory_cache()
    from_disk = clip.text_embeddings(vocab, 'vild')
    assert sum(calls) == 4 * len(VILD_14) and torch.equal(first, from_disk)
    # another template set, another vocabulary -> new entries
    clip.text_embeddings(vocab, 'simple')
    assert sum(calls) == 4 * len(VILD_14) + 4
    clip.text_embeddings(['wall', 'grass', 'ball'], 'simple')
    assert sum(calls) == 4 * len(VILD_14) + 4 + 3
    # other weights (same architecture) -> another key
    other = FrozenCLIP('mmopen-tiny-vit', tiny_clip_files[('mmopen-tiny-vit', 'safetensors')],
                       cache_dir=clip.cache_dir)
    assert other.weights_digest != clip.weights_digest
    text_mod.clear_memory_cache()
    other.text_embeddings(['wall', 'grass', 'ball'], 'simple')
    assert sum(calls) == 4 * len(VILD_14) + 4 + 3 + 3


def test_key_covers_model_weights_templates_vocabulary():
    base = text_mod.embedding_key('m', 'w', ['a {}'], [['x']])
    assert base == text_mod.embedding_key('m', 'w', ['a {}'], [['x']])
    assert len({base,
                text_mod.embedding_key('m2', 'w', ['a {}'], [['x']]),
                text_mod.embedding_key('m', 'w2', ['a {}'], [['x']]),
                text_mod.embedding_key('m', 'w', ['the {}'], [['x']]),
                text_mod.embedding_key('m', 'w', ['a {}'], [['x', 'y']])}) == 5


def test_random_weights_digest_is_parameter_hash():
    a = FrozenCLIP('mmopen-tiny-vit', None, cache_dir=False)
    b = FrozenCLIP('mmopen-tiny-vit', None, cache_dir=False)
    with torch.no_grad():
        b.model.logit_scale.add_(1)
    assert a.weights_digest.startswith('params:') and a.weights_digest != b.weights_digest


def test_templates():
    assert len(IMAGENET_80) == 80 == len(set(IMAGENET_80))
    assert len(VILD_14) == 14 == len(set(VILD_14))
    assert resolve_templates('imagenet80') is IMAGENET_80
    assert resolve_templates(['x {} y']) == ('x {} y', )
    with pytest.raises(ValueError, match='exactly one'):
        resolve_templates(['no placeholder'])
    with pytest.raises(ValueError, match='Unknown template set'):
        resolve_templates('imagenet81')


def test_text_embeddings_are_unit_norm_for_shipped_vocab(clip):
    emb = clip.text_embeddings('voc_20', 'simple')
    assert emb.shape == (20, 32)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(20), atol=1e-5)
    assert torch.isfinite(emb).all()
    # distinct classes have distinct embeddings
    sim = F.normalize(emb, dim=-1) @ F.normalize(emb, dim=-1).T
    assert (sim - torch.eye(20)).max() < 0.9999
