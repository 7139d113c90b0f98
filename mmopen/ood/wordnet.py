"""Reading WordNet 3.0 lemmas from the database files (``data.noun``, ``data.adj``).

Debian's ``wordnet-base`` package installs them in ``/usr/share/wordnet`` (the project's set-up
installs it); any folder with the standard files works (``WNHOME``/``dict`` of a WordNet
install). Format (``wndb(5)``): lines starting with two spaces are the licence header; every
other line is ``offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] ...`` with
``w_cnt`` in hexadecimal. Adjective lemmas may carry a syntactic marker (``(a)``, ``(p)``,
``(ip)``), which is dropped; underscores become spaces.
"""
import os
import os.path as osp
import re
from typing import List, Sequence

DEFAULT_DIRS = ('/usr/share/wordnet', '/usr/local/WordNet-3.0/dict', '/usr/share/WordNet/dict')
_MARKER = re.compile(r'\((a|p|ip)\)$')


def find_wordnet_dir(path: str = None) -> str:
    """The WordNet database folder: ``path``, ``$WNHOME/dict``, or a standard location."""
    candidates = [path] if path else []
    if not path and os.environ.get('WNHOME'):
        candidates.append(osp.join(os.environ['WNHOME'], 'dict'))
    if not path:
        candidates.extend(DEFAULT_DIRS)
    for c in candidates:
        if c and osp.isfile(osp.join(c, 'data.noun')) and osp.isfile(osp.join(c, 'data.adj')):
            return c
    raise FileNotFoundError(
        f'No WordNet 3.0 database found (looked in {candidates}): expected data.noun and '
        'data.adj there. Install it with `apt-get install wordnet-base` (what `make install` '
        'does) or pass the folder holding data.noun / data.adj.')


def read_lemmas(wordnet_dir: str, pos: str, lemmas: str = 'first',
                exclude_lexnames: Sequence[str] = ()) -> List[str]:
    """Lemmas of every synset of part of speech ``pos`` (``'noun'`` or ``'adj'``), in file order,
    deduplicated case-insensitively (first spelling kept).

    Args:
        lemmas: ``'first'`` takes each synset's first (most common) lemma, ``'all'`` every lemma.
        exclude_lexnames: lexicographer files whose synsets are skipped (``noun.person``, ...;
            :data:`mmopen.ood.word_pools.LEXNAMES`).
    """
    from .word_pools import LEXNAMES, check_lexnames
    skip = {LEXNAMES.index(n) for n in check_lexnames(exclude_lexnames, 'exclude_lexnames')}
    if pos not in ('noun', 'adj'):
        raise ValueError(f'pos={pos!r}: use "noun" or "adj".')
    if lemmas not in ('first', 'all'):
        raise ValueError(f'lemmas={lemmas!r}: use "first" or "all".')
    path = osp.join(wordnet_dir, f'data.{pos}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'WordNet file {path} does not exist.')
    seen = set()
    words: List[str] = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('  ') or not line.strip():
                continue
            fields = line.split(' ')
            if skip and int(fields[1]) in skip:
                continue
            count = int(fields[3], 16)
            names = fields[4:4 + 2 * count:2]
            if lemmas == 'first':
                names = names[:1]
            for name in names:
                word = _MARKER.sub('', name).replace('_', ' ').strip()
                key = word.lower()
                if word and key not in seen:
                    seen.add(key)
                    words.append(word)
    return words
