"""WordNet reading, negative-label files and NegMining."""

import pytest
import torch
import torch.nn.functional as F

from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ood.neg_labels import (NegLabels, mine_neg_labels, neg_mining_scores, read_neg_labels,
                                   write_neg_labels)
from mmopen.ood.wordnet import find_wordnet_dir, read_lemmas


def test_wordnet_lemmas():
    wn = find_wordnet_dir()
    nouns = read_lemmas(wn, 'noun')
    adjs = read_lemmas(wn, 'adj')
    assert nouns[:3] == ['entity', 'physical entity', 'abstraction']
    assert adjs[0] == 'able'
    assert len(nouns) > 60000 and len(adjs) > 12000
    assert len({w.lower() for w in nouns}) == len(nouns)  # deduplicated
    assert not any('_' in w or w.endswith(('(a)', '(p)', '(ip)')) for w in nouns + adjs)
    all_nouns = read_lemmas(wn, 'noun', lemmas='all')
    assert len(all_nouns) > len(nouns) and 'abstract entity' in all_nouns
    assert read_lemmas(wn, 'noun') == nouns  # deterministic


def test_missing_wordnet_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match='wordnet-base'):
        find_wordnet_dir(str(tmp_path))


def test_label_file_roundtrip_and_user_files(tmp_path):
    path = str(tmp_path / 'labels.txt')
    write_neg_labels(path, NegLabels(['carburetor', 'ice floe'], ['squishy']), ['header'])
    assert read_neg_labels(path) == NegLabels(['carburetor', 'ice floe'], ['squishy'])
    user = tmp_path / 'mine.txt'
    user.write_text('# my labels\nvolcano\n\nadj\tfurry\n')
    assert read_neg_labels(str(user)) == NegLabels(['volcano'], ['furry'])
    bad = tmp_path / 'bad.txt'
    bad.write_text('verb\trun\n')
    with pytest.raises(ValueError, match='unknown part of speech'):
        read_neg_labels(str(bad))
    with pytest.raises(FileNotFoundError, match='mine_neg_labels'):
        read_neg_labels(str(tmp_path / 'none.txt'))


def test_neg_mining_keeps_least_similar_fraction():
    g = torch.Generator().manual_seed(0)
    id_emb = F.normalize(torch.randn(10, 16, generator=g), dim=-1)
    cand = F.normalize(torch.randn(200, 16, generator=g), dim=-1)
    scores = neg_mining_scores(cand, id_emb, quantile=0.95)
    ref = torch.stack([torch.quantile(c @ id_emb.T, 0.95) for c in cand])
    assert torch.allclose(scores, ref, atol=1e-6)
    words = [f'w{i}' for i in range(200)]
    adjs = [f'a{i}' for i in range(40)]
    table = dict(zip(words + adjs, torch.cat([cand, cand[:40]])))

    def encode(ws, template):
        return torch.stack([table[w] for w in ws])

    picked = mine_neg_labels(encode, id_emb, words, adjs, ratio=0.15)
    assert len(picked.nouns) == 30 and len(picked.adjectives) == 6
    expected = [words[i] for i in torch.argsort(ref, stable=True)[:30].tolist()]
    assert picked.nouns == expected


def test_mining_tool_end_to_end(tiny_clip_files, tmp_path):
    from tests.tool_runner import run_tool
    out = str(tmp_path / 'neg.txt')
    run_tool(['tools/ood/mine_neg_labels.py', '--clip-model', 'mmopen-tiny-vit',
              '--clip-weights', tiny_clip_files[('mmopen-tiny-vit', 'bin')], '--id-vocab',
              'voc_20', '--max-words', '400', '--chunk', '128', '--out', out])
    labels = read_neg_labels(out)
    # the candidates: the first 400 WordNet nouns / adjectives that are not VOC class names,
    # adjectives that are also among those nouns dropped; 15% of each kept
    wn = find_wordnet_dir()
    voc = {n.lower() for names in load_vocabulary('voc_20') for n in names}
    nouns = [w for w in read_lemmas(wn, 'noun') if w.lower() not in voc][:400]
    adjs = [w for w in read_lemmas(wn, 'adj') if w.lower() not in voc][:400]
    adjs = [w for w in adjs if w.lower() not in {n.lower() for n in nouns}]
    assert len(labels.nouns) == int(400 * 0.15)
    assert len(labels.adjectives) == int(len(adjs) * 0.15) and len(adjs) < 400
    assert not voc & {w.lower() for w in labels.nouns + labels.adjectives}
    assert not {w.lower() for w in labels.nouns} & {w.lower() for w in labels.adjectives}


def test_labels_are_deduplicated_across_nouns_and_adjectives(tmp_path):
    """A word in both WordNet lists (e.g. "blue") is one negative label, a noun (as the AdaNeg
    release), and repeats in a user file are dropped, case-insensitively."""
    from mmopen.ood.neg_labels import dedupe_labels
    assert dedupe_labels(['blue', 'Volcano', 'volcano'], ['Blue', 'furry', 'furry']) == NegLabels(
        ['blue', 'Volcano'], ['furry'])
    user = tmp_path / 'dup.txt'
    user.write_text('noun\tblue\nadj\tblue\nadj\tfurry\nnoun\tBlue\n')
    assert read_neg_labels(str(user)) == NegLabels(['blue'], ['furry'])
    seen = []

    def encode(words, template):
        seen.extend(words)
        return torch.nn.functional.normalize(torch.randn(len(words), 8), dim=-1)

    picked = mine_neg_labels(encode, torch.randn(2, 8), ['red', 'stone'], ['red', 'RED', 'soft'],
                             ratio=1.0)
    assert sorted(seen) == ['red', 'soft', 'stone']
    assert sorted(picked.nouns) == ['red', 'stone'] and picked.adjectives == ['soft']

