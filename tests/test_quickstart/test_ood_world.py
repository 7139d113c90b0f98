"""The open world of the OOD quickstart: its split is the one the docs describe (near-OOD
objects share an attribute with ID classes, far-OOD ones none), captions are true of the images
they are matched with, and its lexicon reads back through the WordNet reader."""
import os

import numpy as np
from PIL import Image

from mmopen.ood.wordnet import read_lemmas
from mmopen.quickstart import ood_world as w


def test_split_shares_attributes_as_documented():
    shape = {n: s for n, s, _, _ in w.OBJECTS}
    colour = {n: c for n, _, c, _ in w.OBJECTS}
    ids = w.objects('id')
    for near in w.objects('near'):
        # the shape of one ID class and the colour of another
        assert [i for i in ids if shape[i] == shape[near]] != []
        assert [i for i in ids if colour[i] == colour[near]] != []
        assert all(not (shape[i] == shape[near] and colour[i] == colour[near]) for i in ids)
    for far in w.objects('far'):
        assert all(shape[i] != shape[far] and colour[i] != colour[far] for i in ids)
    assert set(w.scenes('id')).isdisjoint(w.scenes('far'))
    assert len(set(w.nouns())) == len(w.nouns()) and len(set(w.adjectives())) == len(
        w.adjectives())
    # superclass words are captioned but not in the lexicon (true of every ID image)
    assert set(w.SUPERCLASS_OF).isdisjoint(w.nouns())


def test_descriptions_bind_adjectives_to_their_thing():
    ball = w.Sample(None, 'ball', 'grass')
    scene = w.Sample(None, None, 'wall')
    true_of_ball = ('ball', 'red ball', 'red object', 'red', 'thing', 'red item')
    # a caption names the salient thing: the object, not its background
    false_of_ball = ('box', 'blue ball', 'grainy ball', 'red scene', 'wall', 'grass',
                     'grainy', 'grainy scene', 'landscape', 'striped pattern', 'red landscape')
    assert all(w.matches(ball, d) for d in true_of_ball)
    assert not any(w.matches(ball, d) for d in false_of_ball)
    assert w.matches(scene, 'striped wall') and w.matches(scene, 'pattern')
    assert not any(w.matches(scene, d) for d in ('ball', 'object', 'red', 'striped object'))
    everything = set(w.descriptions())
    rng = np.random.default_rng(0)
    for sample in (ball, scene):
        for _ in range(200):
            d = w.sample_description(rng, sample)
            assert d in everything and w.matches(sample, d), d


def test_objects_are_drawn_in_their_colour_on_their_scene():
    for k, (noun, _, colour, _) in enumerate(w.OBJECTS):
        scene = w.scenes()[k % len(w.scenes())]
        # the same generator state draws the same scene, then the object over it
        with_obj = w.draw(np.random.default_rng(k), 128, noun, scene).image.astype(float)
        bare = w.draw(np.random.default_rng(k), 128, None, scene).image.astype(float)
        changed = np.abs(with_obj - bare).max(-1) > 0
        # radius 0.15-0.28 of the side: 2% to 30% of the image (a ring or bar less than a disc)
        assert 0.02 < changed.mean() < 0.30, (noun, changed.mean())
        mean = with_obj[changed].mean(0)
        assert np.abs(mean - np.array(w.COLOURS[colour])).max() < 40, (noun, mean)
    scene_only = w.draw(np.random.default_rng(0), 128, None, 'snow')
    assert scene_only.obj is None


def test_written_world_and_lexicon(tmp_path):
    out = tmp_path / 'world'
    w.write_ood_world(str(out), seed=0, size=64, id_per_class=2, ood_per_set=6)
    classes = (out / 'id' / 'meta' / 'classes.txt').read_text().split()
    assert classes == w.objects('id')
    lines = (out / 'id' / 'meta' / 'val.txt').read_text().splitlines()
    assert len(lines) == 2 * len(classes)
    for line in lines:
        rel, label = line.split()
        assert rel.split('/')[0] == classes[int(label)]
        assert Image.open(out / 'id' / 'val' / rel).size == (64, 64)
    for name in ('near', 'far'):
        listed = (out / 'ood' / name / 'list.txt').read_text().split()
        assert len(listed) == 6 and all(os.path.isfile(out / 'ood' / name / p) for p in listed)
    assert read_lemmas(str(out / 'lexicon'), 'noun') == w.nouns()
    assert read_lemmas(str(out / 'lexicon'), 'adj') == w.adjectives()
    # WordNet's synset offsets are byte offsets of the lines
    data = (out / 'lexicon' / 'data.noun').read_bytes()
    for line in data.decode().splitlines(keepends=True)[1:]:
        offset = int(line.split(' ')[0])
        assert data[offset:offset + len(line.encode())] == line.encode()
