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
from typing import Iterator, List, Sequence, Tuple

DEFAULT_DIRS = ('/usr/share/wordnet', '/usr/local/WordNet-3.0/dict', '/usr/share/WordNet/dict')
_MARKER = re.compile(r'\((a|p|ip)\)$')

# WordNet 3.0's lexicographer files, by number (lexnames(5WN))
LEXNAMES = (
    'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact',
    'noun.attribute', 'noun.body', 'noun.cognition', 'noun.communication', 'noun.event',
    'noun.feeling', 'noun.food', 'noun.group', 'noun.location', 'noun.motive', 'noun.object',
    'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession', 'noun.process',
    'noun.quantity', 'noun.relation', 'noun.shape', 'noun.state', 'noun.substance', 'noun.time',
    'verb.body', 'verb.change', 'verb.cognition', 'verb.communication', 'verb.competition',
    'verb.consumption', 'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion',
    'verb.perception', 'verb.possession', 'verb.social', 'verb.stative', 'verb.weather',
    'adj.ppl')


def check_lexnames(names: Sequence[str], source: str = '--exclude-lexnames') -> Tuple[str, ...]:
    """Refuse a name that is not a noun or adjective lexname (a typo would exclude nothing)."""
    valid = [n for n in LEXNAMES if n.split('.')[0] in ('noun', 'adj')]
    bad = [n for n in names if n not in valid]
    if bad:
        raise ValueError(f'{source}: {bad} are not WordNet noun or adjective lexicographer '
                         f'files; choose from {valid}.')
    return tuple(names)


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


def iter_synsets(wordnet_dir: str, pos: str) -> Iterator[Tuple[int, List[str]]]:
    """``(lex_filenum, lemmas)`` of every synset of ``data.<pos>``, in file order; each lemma
    with its syntactic marker dropped, underscores as spaces, stripped."""
    path = osp.join(wordnet_dir, f'data.{pos}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'WordNet file {path} does not exist.')
    with open(path, encoding='utf-8', errors='replace') as f:
        for n, line in enumerate(f, 1):
            if line.startswith('  ') or not line.strip():
                continue
            fields = line.split(' ')
            try:
                lex_filenum = int(fields[1])
            except (IndexError, ValueError):
                raise ValueError(f'{path}:{n}: field 2 must be a lexicographer file number '
                                 '(wndb(5WN) format).') from None
            count = int(fields[3], 16)
            yield lex_filenum, [_MARKER.sub('', name).replace('_', ' ').strip()
                                for name in fields[4:4 + 2 * count:2]]


def read_lemmas(wordnet_dir: str, pos: str, lemmas: str = 'first',
                exclude_lexnames: Sequence[str] = ()) -> List[str]:
    """Lemmas of every synset of part of speech ``pos`` (``'noun'`` or ``'adj'``), in file order,
    deduplicated case-insensitively (first spelling kept).

    Args:
        lemmas: ``'first'`` takes each synset's first (most common) lemma, ``'all'`` every lemma.
        exclude_lexnames: lexicographer files whose synsets are skipped (``noun.person``, ...;
            :data:`LEXNAMES`).
    """
    skip = {LEXNAMES.index(n) for n in check_lexnames(exclude_lexnames, 'exclude_lexnames')}
    if pos not in ('noun', 'adj'):
        raise ValueError(f'pos={pos!r}: use "noun" or "adj".')
    if lemmas not in ('first', 'all'):
        raise ValueError(f'lemmas={lemmas!r}: use "first" or "all".')
    seen = set()
    words: List[str] = []
    for lex_filenum, names in iter_synsets(wordnet_dir, pos):
        if lex_filenum in skip:
            continue
        for word in names[:1] if lemmas == 'first' else names:
            key = word.lower()
            if word and key not in seen:
                seen.add(key)
                words.append(word)
    return words
