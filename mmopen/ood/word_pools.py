"""Candidate word pools for negative-label mining, chosen by WordNet lexicographer file.

WordNet files every synset under one of 45 lexicographer files ("lexnames": ``noun.person``,
``noun.animal``, ``adj.pert``, ...). The released OOD methods mine from different subsets:

* ``all`` -- mmopen's default: every noun and adjective synset of the WordNet 3.0 database,
  first lemma (spelling kept), repeats dropped case-insensitively, ID class names removed
  (:func:`mmopen.ood.wordnet.read_lemmas`).
* ``neglabel`` -- the NegLabel release (``XueJiang16/NegLabel``, ``txtfiles/``): one file per
  lexname, every noun lexname but ``noun.animal`` and ``noun.food`` (27 files with
  ``adj.all``, ``adj.pert``, ``adj.ppl``), one lower-case string per synset; the files are read
  one after the other and a string goes to the part of speech of the first file that holds it
  (one dictionary across files); ID class names are **not** removed (mining pushes them out).
* ``csp`` -- the CSP release (``MengyuanChen21/NeurIPS2024-CSP``): NegLabel's files without
  ``noun.person``, ``noun.quantity``, ``noun.group`` and ``adj.pert`` (its ``txt_exclude``).
* ``adaneg`` -- the AdaNeg release (``YBZh/OpenOOD-VLM``, ``clip_for_wordnet_prepare.py``):
  NegLabel's files, each part of speech deduplicated on its own, ID class names removed
  (exact match), then every adjective that is also a noun removed (the noun stays).

The releases read their files in ``os.listdir`` order, which the file system decides; here the
files are read in sorted name order (``adj.*`` before ``noun.*``), so a string in both an
adjective and a noun file is an adjective for ``neglabel`` / ``csp``. The order changes the
noun / adjective split by about 1.6k words (the authors' NegLabel run had ~57.2k nouns and ~12.8k
adjectives) but not the number mined: ``int(0.15 n_noun) + int(0.15 n_adj)``.

Sources: :func:`lexname_words` reads the WordNet database (``data.noun`` / ``data.adj``, Debian's
``wordnet-base``); :func:`read_word_lists` reads a folder of ``<lexname>.txt`` files such as the
releases' ``txtfiles/``. The two differ: the releases' lists were exported from WordNet's
lexicographer sources, not the 3.0 database (``adj.all``: 10,007 strings against the database's
10,994; the noun files within ~1%), so only the lists themselves reproduce the releases' pool
sizes exactly (70,000 candidates and 10,499 negatives for ``neglabel``, 56,620 and 8,493 for
``csp``; ``docs/ood.md``).
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from .wordnet import LEXNAMES, check_lexnames, iter_synsets

NOT_IN_NEGLABEL = ('noun.animal', 'noun.food')  # no file of the NegLabel release
CSP_EXCLUDED = ('noun.person', 'noun.quantity', 'noun.group', 'adj.pert')


class PoolSpec(NamedTuple):
    """How a named pool picks and deduplicates its candidates."""
    exclude: Tuple[str, ...]  # lexnames left out
    dedupe: str               # 'first-file' (NegLabel / CSP) or 'per-pos' (AdaNeg)
    remove_id_names: bool


POOLS: Dict[str, Optional[PoolSpec]] = {
    'all': None,  # mmopen's reading of the database, wordnet.read_lemmas
    'neglabel': PoolSpec(NOT_IN_NEGLABEL, 'first-file', False),
    'csp': PoolSpec(NOT_IN_NEGLABEL + CSP_EXCLUDED, 'first-file', False),
    'adaneg': PoolSpec(NOT_IN_NEGLABEL, 'per-pos', True),
}


def lexname_words(wordnet_dir: str) -> Dict[str, List[str]]:
    """The database's nouns and adjectives as the releases' word lists are written: per
    lexname (``noun.*``, ``adj.*``), one string per synset (its first lemma, lower case,
    syntactic marker dropped, underscores as spaces), repeats within the lexname dropped, in
    file order."""
    out: Dict[str, Dict[str, None]] = {}
    for pos in ('noun', 'adj'):
        for lex_filenum, names in iter_synsets(wordnet_dir, pos):
            if not 0 <= lex_filenum < len(LEXNAMES):
                raise ValueError(f'{wordnet_dir}/data.{pos}: lexicographer file number '
                                 f'{lex_filenum} is not one of WordNet 3.0\'s 0-'
                                 f'{len(LEXNAMES) - 1}.')
            word = names[0].lower() if names else ''
            if word:
                out.setdefault(LEXNAMES[lex_filenum], {})[word] = None
    return {k: list(v) for k, v in out.items()}


def read_word_lists(folder: str) -> Dict[str, List[str]]:
    """A folder of ``<lexname>.txt`` word lists (the releases' ``txtfiles/``): one word per
    line, stripped, blank lines skipped; only ``noun.*`` and ``adj.*`` files are read."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'Word-list folder {folder!r} does not exist: give the folder '
                                'of <lexname>.txt files (e.g. the NegLabel release\'s txtfiles/).')
    out = {}
    for name in sorted(os.listdir(folder)):
        stem = name[:-4] if name.endswith('.txt') else None
        if stem is None or stem.split('.')[0] not in ('noun', 'adj'):
            continue
        with open(osp.join(folder, name), encoding='utf-8') as f:
            out[stem] = [w for w in (line.strip() for line in f) if w]
    if not out:
        raise ValueError(f'{folder!r} holds no noun.*.txt or adj.*.txt word list.')
    return out


def pool_candidates(per_lexname: Dict[str, List[str]], pool: str,
                    id_names: Sequence[str] = (),
                    exclude: Sequence[str] = ()) -> Tuple[List[str], List[str]]:
    """``(nouns, adjectives)`` of the named ``pool`` (:data:`POOLS`, not ``'all'``) from
    per-lexname word lists, lexnames in sorted order; ``exclude``: more lexnames to leave out.
    """
    spec = POOLS.get(pool)
    if spec is None:
        raise ValueError(f'pool={pool!r}: choose from {[p for p in POOLS if POOLS[p]]} '
                         "('all' reads the database with wordnet.read_lemmas).")
    skip = set(spec.exclude) | set(check_lexnames(exclude))
    files = [k for k in sorted(per_lexname) if k not in skip]
    if spec.dedupe == 'first-file':
        seen: Dict[str, str] = {}
        for lexname in files:
            for w in per_lexname[lexname]:
                seen.setdefault(w, lexname.split('.')[0])
        nouns = [w for w, pos in seen.items() if pos == 'noun']
        adjs = [w for w, pos in seen.items() if pos == 'adj']
    else:
        parts: Dict[str, Dict[str, None]] = {'noun': {}, 'adj': {}}
        for lexname in files:
            parts[lexname.split('.')[0]].update(dict.fromkeys(per_lexname[lexname]))
        nouns, adjs = list(parts['noun']), list(parts['adj'])
    if spec.remove_id_names:
        ids = set(id_names)
        nouns = [w for w in nouns if w not in ids]
        adjs = [w for w in adjs if w not in ids]
    if spec.dedupe == 'per-pos':
        noun_set = set(nouns)
        adjs = [w for w in adjs if w not in noun_set]
    return nouns, adjs
