"""The shipped vocabularies and the vocabulary parser."""
import pytest

from mmopen.clip.vocabularies import (class_names, list_vocabularies, load_vocabulary,
                                      vocabulary_path)

COUNTS = {
    'coco_stuff_171': 171, 'coco_panoptic_133': 133, 'ade_150': 150, 'ade_847': 847,
    'pascal_context_59': 59, 'pascal_context_459': 459, 'voc_20': 20, 'cityscapes_19': 19,
    'imagenet_1k': 1000, 'imagenet_1k_openclip': 1000,
}


@pytest.mark.parametrize('name,count', sorted(COUNTS.items()))
def test_shipped_vocabulary(name, count):
    vocab = load_vocabulary(name)
    assert len(vocab) == count
    assert all(names and all(n == n.strip() and n for n in names) for names in vocab)
    with open(vocabulary_path(name)) as f:
        lines = f.read().splitlines()
    assert len(lines) == count and all(lines)


def test_all_listed():
    assert set(COUNTS) <= set(list_vocabularies())


def test_known_entries():
    assert class_names('ade_150')[0] == 'wall'
    assert class_names('imagenet_1k')[:2] == ['tench', 'goldfish']
    assert class_names('cityscapes_19')[0] == 'road'
    assert 'person' in class_names('voc_20')


def test_user_vocabularies(tmp_path):
    path = tmp_path / 'mine.txt'
    path.write_text('# my classes\nsofa, couch\n\n  cat \n')
    assert load_vocabulary(str(path)) == [['sofa', 'couch'], ['cat']]
    assert load_vocabulary(['sofa, couch', ['cat', 'kitty']]) == [['sofa', 'couch'],
                                                                   ['cat', 'kitty']]
    with pytest.raises(FileNotFoundError, match='neither a file nor a shipped'):
        load_vocabulary(str(tmp_path / 'missing.txt'))
    empty = tmp_path / 'empty.txt'
    empty.write_text('# nothing\n')
    with pytest.raises(ValueError, match='holds no class'):
        load_vocabulary(str(empty))
    with pytest.raises(ValueError, match='empty'):
        load_vocabulary([])


def test_repeated_classes_are_refused(tmp_path):
    """``cat`` twice gave two identical text rows, and the second class could never win."""
    with pytest.raises(ValueError, match=r"'cat' \(classes 0 and 2\)"):
        load_vocabulary(['cat', 'dog', 'cat'])
    with pytest.raises(ValueError, match='same class more than once.*sofa, couch'):
        load_vocabulary(['sofa, couch', 'Couch, Sofa'])  # same synonyms, other order and case
    path = tmp_path / 'v.txt'
    path.write_text('car\nbus\nCar\n')
    with pytest.raises(ValueError, match=f'{path}.*Car'):
        load_vocabulary(str(path))
    # a shared head word with other synonyms is a different class (ADE-847 has such)
    assert len(load_vocabulary(['pot', 'pot, flowerpot'])) == 2


def test_seen_mask_matches_any_shared_name():
    from mmopen.clip.vocabularies import seen_mask
    assert seen_mask(['sofa, couch', 'kite', 'Wall'], ['couch', 'wall, walls']) == [
        True, False, True]


def test_the_papers_imagenet_list_is_loaded_with_a_logged_allowance(tmp_path, monkeypatch):
    """``imagenet_1k_openclip`` is the deduplicated list except for the two repeats the papers'
    releases score over; its repeats are allowed only under its shipped name, and logged."""
    from mmopen.clip import vocabularies
    from mmopen.clip.vocabularies import check_unique
    logged = []
    monkeypatch.setattr(vocabularies, 'print_log', lambda msg, **kw: logged.append(msg))
    papers, dedup = class_names('imagenet_1k_openclip'), class_names('imagenet_1k')
    differ = [i for i, (a, b) in enumerate(zip(papers, dedup)) if a != b]
    assert differ == [744, 836]
    assert papers[657] == papers[744] == 'missile'
    assert papers[836] == papers[837] == 'sunglasses'
    assert any('classes 657 and 744' in m for m in logged), logged
    assert any('classes 836 and 837' in m for m in logged), logged
    # the loaded list keeps its allowance when it is loaded again (as text encoders do) ...
    again = load_vocabulary(load_vocabulary('imagenet_1k_openclip'))
    assert [n[0] for n in again] == papers
    # ... a list built by hand does not
    with pytest.raises(ValueError, match="'missile'"):
        load_vocabulary([list(n) for n in again])
    # the same file under another path is a user file: refused
    user = tmp_path / 'imagenet.txt'
    user.write_text(open(vocabulary_path('imagenet_1k_openclip')).read())
    with pytest.raises(ValueError, match=r"'missile'.*classes 657 and 744"):
        load_vocabulary(str(user))
    # an allowance covers its pairs only
    classes = [['a'], ['b'], ['a'], ['b']]
    with pytest.raises(ValueError, match=r"'b'.*classes 1 and 3"):
        check_unique(classes, allowed=[(0, 2)])
    assert check_unique(classes, allowed=[(0, 2), (1, 3)]) == classes


def test_a_vocabulary_is_a_value():
    """Equal by classes (not by source), hashable, immutable, concatenated with repeats refused,
    and handed on unparsed."""
    from mmopen.clip.vocabularies import Vocabulary
    a, b = Vocabulary.load(['sofa, couch', 'cat']), Vocabulary.load([['sofa', 'couch'], ['cat']])
    assert a == b and hash(a) == hash(b) and a.digest == b.digest and a == [['sofa', 'couch'],
                                                                           ['cat']]
    assert Vocabulary.load(a) is a and a.names == ('sofa', 'cat')
    assert (a + ['dog']).names == ('sofa', 'cat', 'dog') and (['dog'] + a).names[0] == 'dog'
    assert a + [] == a and [] + a == a  # an empty addition (a curve's first step)
    with pytest.raises(ValueError, match='more than once'):
        a + ['cat']
    with pytest.raises(AttributeError):
        a.classes = ()
    assert a.seen(['couch', 'bird']) == (True, False) and a.unseen(['couch']) == (False, True)
    assert a.digest != Vocabulary.load(['cat', 'sofa, couch']).digest  # order is part of it


def test_a_datasets_metainfo_is_wrapped_not_parsed_again(monkeypatch):
    """The hook and the seen / unseen metric read the dataset's classes through one helper: a
    plain class list becomes one-name classes, synonym lists stay synonyms, a Vocabulary is
    passed through, and nothing is parsed from text again."""
    from mmopen.clip import vocabularies as v
    vocab = v.Vocabulary.load(['cat, kitty', 'dog'])
    calls = []
    monkeypatch.setattr(v, 'parse_class', lambda entry: calls.append(entry) or [entry])
    assert v.metainfo_vocabulary(dict(vocabulary=vocab, classes=('x', )), 'd') is vocab
    got = v.metainfo_vocabulary(dict(classes=('cat', 'dog, puppy')), 'the classes of D')
    assert got.to_list() == [['cat'], ['dog, puppy']]  # a class name keeps its comma
    got = v.metainfo_vocabulary(dict(vocabulary=[['cat', 'kitty'], ['dog']]), 'd')
    assert got == vocab and got.source == 'd'
    assert calls == []
    assert v.metainfo_vocabulary({}, 'd') is None and v.metainfo_vocabulary(None, 'd') is None
    with pytest.raises(ValueError, match='the classes of D lists the same class'):
        v.metainfo_vocabulary(dict(classes=('cat', 'Cat')), 'the classes of D')
