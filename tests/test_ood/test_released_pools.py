"""The released candidate pools and mining rules, against ports of the releases' logic written
here (reading loops, CSP's superclass draw, AdaNeg's split), on a small WordNet made here and on
the full WordNet 3.0 database.

The ports follow the releases' logic, not mmopen's code: the NegLabel / CSP reading loop
(``multi_modal.py``: files of one folder, one dictionary across them keyed on the stripped line,
the part of speech from the file name, ``random.seed`` then one ``random.choice`` per CSP
adjective), AdaNeg's (``clip_for_wordnet_prepare.py``: a set per part of speech, ID names
and nouns taken out of the lists) and AdaNeg's selection (``clip_fixed_ood_prompt.py``: the
similarity at index ``int(0.95 C)`` of the sorted row, ``int(10000 A / (A + N))`` adjectives).
"""
import os
import os.path as osp
import random

import pytest
import torch
import torch.nn.functional as F

from mmopen.ood.word_pools import LEXNAMES, lexname_words, pool_candidates, read_word_lists

# a WordNet in the database format: (lexname, synset type, lemmas) per synset
SYNSETS = [
    ('noun.Tops', 'n', ['entity']),
    ('noun.Tops', 'n', ['physical_entity', 'physical_object']),
    ('noun.artifact', 'n', ['Anvil', 'smith_block']),
    ('noun.artifact', 'n', ['light', 'light_source']),
    ('noun.artifact', 'n', ['anvil']),             # a repeat within its lexname (lower case)
    ('noun.artifact', 'n', ['tench_trap']),
    ('noun.animal', 'n', ['tench', 'Tinca_tinca']),  # an ID class; not a NegLabel file
    ('noun.animal', 'n', ['zebra']),
    ('noun.food', 'n', ['bread']),
    ('noun.person', 'n', ['smith', 'metalworker']),
    ('noun.person', 'n', ['goldfish_keeper']),
    ('noun.quantity', 'n', ['ounce']),
    ('noun.group', 'n', ['herd']),
    ('noun.state', 'n', ['calm']),
    ('noun.state', 'n', ['goldfish']),              # an ID class name as a noun
    ('adj.all', 'a', ['able(a)']),
    ('adj.all', 's', ['light', 'pale']),            # also a noun
    ('adj.all', 's', ['calm', 'placid']),           # also a noun
    ('adj.all', 'a', ['galore(ip)']),
    ('adj.pert', 'a', ['lunar']),
    ('adj.pert', 'a', ['able']),                     # in adj.all already
    ('adj.ppl', 'a', ['broken']),
    ('adj.ppl', 'a', ['herd']),                      # also a (noun.group) noun
]
ID_NAMES = ['tench', 'goldfish']
CSP_SUPERCLASS_TEMPLATES = [  # the release's csp_templates, in its order
    '{} environment', '{} space', '{} object', '{} scene', '{} place', '{} item', '{} area',
    '{} view', '{} thing', '{} pattern', '{} structure', '{} landscape', '{} vista',
    '{} creature']


def _write_wordnet(folder):
    """data.noun / data.adj in wndb(5WN) format (pointers and glosses minimal)."""
    os.makedirs(folder, exist_ok=True)
    lines = {'noun': ['  1 licence header line\n'], 'adj': ['  1 licence header line\n']}
    for i, (lexname, ss_type, lemmas) in enumerate(SYNSETS):
        pos = 'noun' if ss_type == 'n' else 'adj'
        words = ' '.join(f'{w} 0' for w in lemmas)
        lines[pos].append(f'{10000000 + i:08d} {LEXNAMES.index(lexname):02d} {ss_type} '
                          f'{len(lemmas):02x} {words} 000 | a gloss\n')
    for pos, ls in lines.items():
        with open(osp.join(folder, f'data.{pos}'), 'w') as f:
            f.writelines(ls)


def _export_word_lists(folder, skip=('noun.animal', 'noun.food')):
    """The releases' txtfiles/ for SYNSETS, written from the table above: per lexname one
    lower-case string per synset (first lemma, marker off, spaces), no repeat in a file; the
    NegLabel release ships no noun.animal / noun.food file."""
    import re
    os.makedirs(folder, exist_ok=True)
    per = {}
    for lexname, _, lemmas in SYNSETS:
        word = re.sub(r'\((a|p|ip)\)$', '', lemmas[0]).replace('_', ' ').lower()
        if word not in per.setdefault(lexname, []):
            per[lexname].append(word)
    for lexname, words in per.items():
        if lexname not in skip:
            with open(osp.join(folder, f'{lexname}.txt'), 'w') as f:
                f.write(''.join(w + '\n' for w in words))
    return per


def _release_read(folder, txt_exclude=(), csp=False, seed=0):
    """The NegLabel / CSP releases' candidate loop (files in sorted order: the release's
    os.listdir order is the file system's)."""
    files = [f for f in sorted(os.listdir(folder)) if f not in txt_exclude]
    dedup, nouns, adjs = {}, [], []
    state = random.getstate()
    random.seed(seed)
    try:
        for file in files:
            filetype = file.split('.')[0]
            if filetype not in ('noun', 'adj'):
                continue
            with open(osp.join(folder, file)) as f:
                for line in f.readlines():
                    line = line.replace('_', ' ')
                    if line.strip() in dedup:
                        continue
                    dedup[line.strip()] = None
                    if filetype == 'noun':
                        nouns.append(line.strip())
                    elif csp:
                        adjs.append(random.choice(CSP_SUPERCLASS_TEMPLATES).format(line.strip()))
                    else:
                        adjs.append(line.strip())
    finally:
        random.setstate(state)
    return nouns, adjs


def _adaneg_release_read(folder, classnames):
    adj_list, noun_list = [], []
    for name in os.listdir(folder):
        with open(osp.join(folder, name)) as f:
            words = f.read().split('\n')[:-1]
        if name[:3] == 'adj' and name[-3:] == 'txt':
            adj_list += words
        elif name[:4] == 'noun' and name[-3:] == 'txt':
            noun_list += words
    adj_list, noun_list = list(set(adj_list)), list(set(noun_list))
    adj_list = [w for w in adj_list if w not in classnames]
    noun_list = [w for w in noun_list if w not in classnames]
    nouns = set(noun_list)  # the release tests `w not in noun_list`: the same membership, O(1)
    adj_list = [w for w in adj_list if w not in nouns]
    return noun_list, adj_list


@pytest.fixture
def small_wordnet(tmp_path):
    _write_wordnet(str(tmp_path / 'wn'))
    per = _export_word_lists(str(tmp_path / 'txtfiles'))
    return str(tmp_path / 'wn'), str(tmp_path / 'txtfiles'), per


def test_database_is_read_per_lexicographer_file_as_the_word_lists(small_wordnet):
    wn, txt, per = small_wordnet
    assert lexname_words(wn) == per
    assert read_word_lists(txt) == {k: v for k, v in per.items()
                                    if k not in ('noun.animal', 'noun.food')}


@pytest.mark.parametrize('source', ['database', 'word lists'])
def test_neglabel_and_csp_pools_are_the_releases_loops(small_wordnet, source):
    wn, txt, _ = small_wordnet
    per = lexname_words(wn) if source == 'database' else read_word_lists(txt)
    nouns, adjs = pool_candidates(per, 'neglabel', ID_NAMES)
    assert (nouns, adjs) == _release_read(txt)
    # what the releases' rules mean here: ID names kept, a string in an adjective file and a
    # noun file is an adjective (adj.* is read first), noun.animal / noun.food absent
    assert 'goldfish' in nouns and 'light' in adjs and 'light' not in nouns
    assert 'zebra' not in nouns and 'bread' not in nouns
    excluded = ('noun.person.txt', 'noun.quantity.txt', 'noun.group.txt', 'adj.pert.txt')
    nouns, adjs = pool_candidates(per, 'csp', ID_NAMES)
    ref_nouns, ref_conj = _release_read(txt, excluded, csp=True, seed=0)
    assert nouns == ref_nouns and 'smith' not in nouns and 'lunar' not in adjs
    # CSP's conjugated labels: one superclass per adjective drawn in reading order from seed 0
    from mmopen.ood.csp import conjugated_labels
    for seed in (0, 3):
        ref = _release_read(txt, excluded, csp=True, seed=seed)[1]
        assert conjugated_labels(adjs, seed=seed) == ref
    # more exclusions by name; a typo is refused
    nouns, adjs = pool_candidates(per, 'neglabel', ID_NAMES, exclude=['noun.state'])
    assert (nouns, adjs) == _release_read(txt, ('noun.state.txt', ))  # its txt_exclude
    assert 'calm' not in nouns and 'goldfish' not in nouns
    with pytest.raises(ValueError, match=r"\['noun.persons'\] are not WordNet"):
        pool_candidates(per, 'neglabel', exclude=['noun.persons'])


def test_adaneg_pool_is_the_releases_loop(small_wordnet):
    wn, txt, _ = small_wordnet
    nouns, adjs = pool_candidates(lexname_words(wn), 'adaneg', ID_NAMES)
    ref_nouns, ref_adjs = _adaneg_release_read(txt, ID_NAMES)
    # the release's lists come out of a set: the same words, in its arbitrary order
    assert sorted(nouns) == sorted(ref_nouns) and len(nouns) == len(set(nouns))
    assert sorted(adjs) == sorted(ref_adjs)
    assert 'goldfish' not in nouns and 'light' in nouns and 'light' not in adjs


def _random_encoder(dim=24, seed=0):
    """A text encoder that gives each (word, template) a fixed random unit vector."""
    table = {}
    gen = torch.Generator().manual_seed(seed)

    def encode(words, template):
        key = template if isinstance(template, str) else tuple(template)
        for w in words:
            if (w, key) not in table:
                table[(w, key)] = F.normalize(torch.randn(dim, generator=gen), dim=0)
        return torch.stack([table[(w, key)] for w in words])
    return encode


def test_adaneg_mining_is_the_releases_selection():
    from mmopen.ood.adaneg_labels import adaneg_split, mine_adaneg_labels
    gen = torch.Generator().manual_seed(1)
    nouns = [f'noun{i}' for i in range(70)]
    adjs = [f'adj{i}' for i in range(23)]
    id_emb = F.normalize(torch.randn(40, 24, generator=gen), dim=1)
    encode = _random_encoder()
    count = 31
    got = mine_adaneg_labels(encode, id_emb, nouns, adjs, count=count)
    # the release: adj_num = int(total * A / (A + N)); sort each row of similarities, take the
    # value at int(C * 0.95); keep the smallest
    adj_num = int(count * (len(adjs) / (len(adjs) + len(nouns))))
    noun_num = count - adj_num
    cut = int(id_emb.shape[0] * 0.95)

    def pick(words, template, k):
        sims = encode(words, template) @ id_emb.T
        key = sims.sort(1).values[:, cut]
        return [words[i] for i in key.sort(0).indices[:k].tolist()]

    assert got.nouns == pick(nouns, 'The nice {}.', noun_num)
    assert got.adjectives == pick(adjs, 'This is a {} photo.', adj_num)
    assert (len(got.nouns), len(got.adjectives)) == (noun_num, adj_num) == adaneg_split(
        count, 70, 23)
    with pytest.raises(ValueError, match='count=94.*93 candidates'):
        adaneg_split(94, 70, 23)


def test_release_pool_sizes_on_wordnet_3_0(tmp_path):
    """On the full WordNet 3.0 database (Debian wordnet-base), each pool equals the release's
    loop run over the database exported as word lists, and mining keeps int(0.15 n) of each
    part (NegLabel, CSP) or 10,000 (AdaNeg). The counts (documented in docs/ood.md): NegLabel
    56,788 nouns + 14,006 adjectives -> 8,518 + 2,100 = 10,618 negatives; CSP 46,446 +
    11,047 -> 6,966 + 1,657 = 8,623. (The releases' own word lists, exported from WordNet's
    lexicographer sources instead, give 70,000 -> 10,499 and 56,620 -> 8,493.)"""
    from mmopen.clip.vocabularies import class_names
    from mmopen.ood.neg_labels import mine_neg_labels
    from mmopen.ood.wordnet import find_wordnet_dir
    per = lexname_words(find_wordnet_dir())
    txt = tmp_path / 'txtfiles'
    txt.mkdir()
    for lexname, words in per.items():
        if lexname not in ('noun.animal', 'noun.food'):
            (txt / f'{lexname}.txt').write_text(''.join(w + '\n' for w in words))
    ids = class_names('imagenet_1k_openclip')
    expected = {'neglabel': (56788, 14006, 10618), 'csp': (46446, 11047, 8623)}
    excluded = {'neglabel': (), 'csp': ('noun.person.txt', 'noun.quantity.txt',
                                        'noun.group.txt', 'adj.pert.txt')}
    id_emb = F.normalize(torch.randn(50, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    for pool in ('neglabel', 'csp'):
        nouns, adjs = pool_candidates(per, pool, ids)
        assert (nouns, adjs) == _release_read(str(txt), excluded[pool])
        gen = torch.Generator().manual_seed(2)

        def encode(words, template):
            return F.normalize(torch.randn(len(words), 8, generator=gen), dim=1)

        mined = mine_neg_labels(encode, id_emb, nouns, adjs)
        assert (len(nouns), len(adjs), len(mined)) == expected[pool]
        assert len(mined.nouns) == int(0.15 * len(nouns))
    nouns, adjs = pool_candidates(per, 'adaneg', ids)
    ref_nouns, ref_adjs = _adaneg_release_read(str(txt), ids)
    assert sorted(nouns) == sorted(ref_nouns) and sorted(adjs) == sorted(ref_adjs)


def test_mining_tool_with_release_pools(small_wordnet, tiny_clip_files, tmp_path):
    """``--pool`` / ``--word-lists`` / ``--exclude-lexnames`` / ``--method adaneg`` end to end with
    a tiny CLIP: the label counts the releases' rules give on the small WordNet."""
    from mmopen.ood.neg_labels import read_neg_labels
    from tests.tool_runner import run_tool
    wn, txt, per = small_wordnet
    vocab = tmp_path / 'ids.txt'
    vocab.write_text('\n'.join(ID_NAMES) + '\n')
    tool = ['tools/ood/mine_neg_labels.py', '--clip-model', 'mmopen-tiny-vit',
            '--clip-weights', tiny_clip_files[('mmopen-tiny-vit', 'bin')]]
    common = tool + ['--id-vocab', str(vocab), '--ratio', '0.5']
    out = str(tmp_path / 'csp.txt')
    run_tool(common + ['--method', 'csp', '--pool', 'csp', '--word-lists', txt, '--out', out])
    nouns, adjs = _release_read(txt, ('noun.person.txt', 'noun.quantity.txt',
                                      'noun.group.txt', 'adj.pert.txt'))
    labels = read_neg_labels(out)
    assert len(labels.nouns) == int(0.5 * len(nouns)) and not labels.adjectives
    assert len(labels.conjugated) == int(0.5 * len(adjs))
    assert set(labels.nouns) <= set(nouns)
    header = open(out).readline()
    assert f'the csp pool of {txt}' in header and f'({len(nouns)} noun and {len(adjs)} ' \
        'adjective candidates)' in header
    out = str(tmp_path / 'neglabel.txt')
    run_tool(common + ['--pool', 'neglabel', '--wordnet-dir', wn, '--exclude-lexnames',
                       'noun.state,noun.plant', '--out', out])
    # the release's loop with those files left out (noun.plant has none here)
    nouns, adjs = _release_read(txt, ('noun.state.txt', 'noun.plant.txt'))
    labels = read_neg_labels(out)
    assert (len(labels.nouns), len(labels.adjectives)) == (int(0.5 * len(nouns)),
                                                           int(0.5 * len(adjs)))
    out = str(tmp_path / 'adaneg.txt')
    run_tool(tool + ['--id-vocab', str(vocab), '--method', 'adaneg', '--wordnet-dir', wn,
                     '--count', '7', '--out', out])
    nouns, adjs = _adaneg_release_read(txt, ID_NAMES)
    labels = read_neg_labels(out)
    adj_num = int(7 * len(adjs) / (len(adjs) + len(nouns)))
    assert (len(labels.nouns), len(labels.adjectives)) == (7 - adj_num, adj_num)
    assert "'The nice {}.'" in open(out).read()
    # the papers' ImageNet list, repeats allowed, through the text encoder
    words = tmp_path / 'words.txt'
    words.write_text('nebula\nsonnet\nquasar\nanthem\n')  # no ImageNet class
    out = str(tmp_path / 'in1k.txt')
    run_tool(tool + ['--id-vocab', 'imagenet_1k_openclip', '--candidates', str(words),
                     '--ratio', '0.5', '--out', out])
    assert len(read_neg_labels(out).nouns) == 2
    bad = run_tool(common + ['--candidates', str(words), '--pool', 'csp', '--out', out],
                   check=False)
    assert bad.returncode != 0 and '--candidates is the whole candidate list' in bad.stderr
