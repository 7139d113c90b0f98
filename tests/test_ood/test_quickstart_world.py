"""The tiny CLIP of the quickstart has learned the open world (a model that learned nothing
fails): it classifies the ID classes zero-shot, it matches images of the non-ID concepts to their
words, and the negatives mined from the world's lexicon are lexicon words."""
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmopen.clip import FrozenCLIP
from mmopen.clip.constants import CLIP_MEAN, CLIP_STD
from mmopen.ood.neg_labels import read_neg_labels
from mmopen.quickstart import ood_world as w
from tests.assets import private_copy
from tests.conftest import TEST_SEED
from tests.tool_runner import load_tool

SIZE = 96  # the open world's image size (make_quickstart_data.py --world-size)


def _batch(images):
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    return (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(
        1, 3, 1, 1)


@pytest.fixture(scope='module')
def world_data(tmp_path_factory):
    """Quickstart data with the open world (small segmentation and classification parts) and
    the tiny CLIP pre-trained on it as ``make quickstart-data`` does (same steps): a private
    copy of ``tests/assets.py``'s ``world`` entry."""
    return osp.join(private_copy('world', str(tmp_path_factory.mktemp('qs_world'))),
                    'quickstart')


@pytest.fixture(scope='module')
def clip(world_data):
    return FrozenCLIP('mmopen-tiny-convnext',
                      osp.join(world_data, 'tiny_clip_convnext.safetensors'))


@pytest.fixture(scope='module')
def mined(world_data, tmp_path_factory):
    tool = load_tool('tools/ood/mine_neg_labels.py')
    world = osp.join(world_data, 'world')
    out = str(tmp_path_factory.mktemp('mined') / 'neg_labels.txt')
    assert tool.main(['--clip-model', 'mmopen-tiny-convnext', '--clip-weights',
                      osp.join(world_data, 'tiny_clip_convnext.safetensors'),
                      '--wordnet-dir', osp.join(world, 'lexicon'), '--ratio', '0.5',
                      '--id-vocab', osp.join(world, 'id', 'meta', 'classes.txt'),
                      '--out', out]) == 0
    return read_neg_labels(out)


def test_zero_shot_accuracy_on_the_id_classes(clip, world_data):
    root = osp.join(world_data, 'world', 'id')
    classes = open(osp.join(root, 'meta', 'classes.txt')).read().split()
    images, labels = [], []
    for line in open(osp.join(root, 'meta', 'val.txt')):
        rel, label = line.split()
        images.append(np.asarray(Image.open(osp.join(root, 'val', rel)).convert('RGB')))
        labels.append(int(label))
    with torch.no_grad():
        img = clip.encode_image(_batch(images))
        txt = clip.text_embeddings([[c] for c in classes], ['the nice {}'])
    acc = ((img @ txt.T).argmax(1) == torch.tensor(labels)).float().mean().item()
    # chance is 1/6 (an untrained CLIP stays near it); seeds 0 and 1 of the quickstart: 0.77, 0.90
    assert acc > 0.5, f'zero-shot accuracy {acc:.3f} on the {len(classes)} ID classes'


def test_images_of_the_negative_words_agree_with_them(clip, mined):
    """For each mined negative noun that names an object or scene of the world, fresh images of
    it are closer to that word than to every ID class name (NegLabel's premise)."""
    named = [n for n in mined.nouns if n in w.objects() + w.scenes()]
    assert len(named) >= 4, mined.nouns
    rng = np.random.default_rng(TEST_SEED + 777)
    ids = w.objects('id')
    hits = []
    with torch.no_grad():
        id_txt = clip.text_embeddings([[c] for c in ids], ['the nice {}'])
        for word in named:
            if word in w.objects():
                samples = [w.draw(rng, SIZE, word, w.scenes()[i % 6]) for i in range(12)]
            else:
                samples = [w.draw(rng, SIZE, None, word) for _ in range(12)]
            img = clip.encode_image(_batch([s.image for s in samples]))
            own = img @ clip.text_embeddings([[word]], ['the nice {}']).T
            hits.append((own[:, 0] > (img @ id_txt.T).max(1).values).float().mean().item())
    # a model that learned no words matches a word with its own images about 1 time in 7;
    # seeds 0 and 1 of the quickstart: 0.69, 0.86
    assert np.mean(hits) > 0.4, dict(zip(named, hits))


def test_mined_negatives_are_lexicon_words(mined):
    nouns, adjs = set(w.nouns()), set(w.adjectives())
    assert set(mined.nouns) <= nouns - set(w.objects('id'))
    assert set(mined.adjectives) <= adjs
    # half of each part of speech (--ratio 0.5) after the ID names are removed
    assert len(mined.nouns) == int((len(nouns) - len(w.objects('id'))) * 0.5)
    assert len(mined.adjectives) == int(len(adjs) * 0.5)
