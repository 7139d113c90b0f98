"""Class vocabularies shipped as data files, and user vocabularies.

A vocabulary file has one class per line; synonyms of one class share its line, separated by
``", "`` (``"sofa, couch"``), the first one being the display name. Blank lines and lines
starting with ``#`` are ignored. The shipped files live in ``mmopen/clip/vocabularies/`` (see the
README there for their sources): ``coco_stuff_171``, ``coco_panoptic_133``, ``ade_150``,
``ade_847``, ``pascal_context_59``, ``pascal_context_459``, ``voc_20``, ``cityscapes_19``,
``imagenet_1k``, and ``imagenet_1k_openclip``: the list the OOD papers' releases score over,
with its two repeated names, loaded under :data:`ALLOWED_REPEATS` only.
"""
import hashlib
import json
import logging
import os
import os.path as osp
from functools import cached_property
from typing import Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log

VOCAB_DIR = osp.join(osp.dirname(__file__), 'vocabularies')

# Shipped vocabularies that repeat a class on purpose, with the (first, repeat) index pairs they
# may repeat: anything else repeated is still refused. ``imagenet_1k_openclip`` is CLIP's
# zero-shot list as open_clip and the NegLabel / CSP / AdaNeg releases ship it: ``missile``
# (657, 744) and ``sunglasses`` (836, 837); the later class of each pair is never predicted, as
# in the papers' runs. Every load of it logs the allowance.
ALLOWED_REPEATS = {'imagenet_1k_openclip': ((657, 744), (836, 837))}


def list_vocabularies() -> List[str]:
    """Names of the vocabularies shipped with mmopen."""
    return sorted(f[:-4] for f in os.listdir(VOCAB_DIR) if f.endswith('.txt'))


def parse_class(entry: str) -> List[str]:
    """``"sofa, couch"`` -> ``['sofa', 'couch']``."""
    names = [n.strip() for n in entry.split(',')]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f'Empty class entry {entry!r}: every class needs at least one name.')
    return names


def vocabulary_path(name_or_path: str) -> str:
    """Resolve a shipped vocabulary name or a path to a vocabulary file."""
    if osp.isfile(name_or_path):
        return name_or_path
    shipped = osp.join(VOCAB_DIR, f'{name_or_path}.txt')
    if osp.isfile(shipped):
        return shipped
    raise FileNotFoundError(
        f'Vocabulary {name_or_path!r} is neither a file nor a shipped vocabulary. Shipped: '
        f'{list_vocabularies()}; or pass the path of a text file with one class per line '
        '(synonyms separated by ", ").')


def check_unique(classes: Sequence[Sequence[str]], source: str = 'the vocabulary',
                 allowed: Sequence[Tuple[int, int]] = ()) -> Sequence[Sequence[str]]:
    """Refuse classes with the same synonyms (compared case-insensitively, in any order): they
    get identical text embeddings, so all but the first could never be predicted.

    ``allowed``: ``(first, repeat)`` index pairs that may repeat (a shipped list reproduced as
    published, :data:`ALLOWED_REPEATS`); each one found is logged as a warning.
    """
    seen = {}
    dups = []
    allowed = {tuple(pair) for pair in allowed}
    for i, names in enumerate(classes):
        key = frozenset(n.lower() for n in names)
        if key in seen and (seen[key], i) in allowed:
            print_log(f'{source} repeats {", ".join(names)!r} (classes {seen[key]} and {i}) as '
                      'the published list does (mmopen.clip.vocabularies.ALLOWED_REPEATS): '
                      f'class {i} is never predicted. The deduplicated list is imagenet_1k.',
                      logger='current', level=logging.WARNING)
        elif key in seen:
            first = ', '.join(classes[seen[key]])
            again = ', '.join(names)
            dups.append((f'{first!r}' if first == again else f'{first!r} and {again!r}')
                        + f' (classes {seen[key]} and {i})')
        else:
            seen[key] = i
    if dups:
        raise ValueError(
            f'{source} lists the same class more than once: {"; ".join(dups[:10])}'
            f'{" ..." if len(dups) > 10 else ""}. Identical classes get identical text '
            'embeddings and the later ones are never predicted: remove the repeats, or tell the '
            'classes apart with more specific names or synonyms.')
    return classes


class Vocabulary(Sequence):
    """A class vocabulary, parsed once: the classes in label order, each a tuple of synonyms
    (the first is the display name), and the source it was read from.

    Immutable and hashable; it is a sequence of synonym tuples, so code that iterates classes
    takes it as it took a list. Every consumer (datasets, heads, hooks, metrics, classifiers)
    accepts a ``Vocabulary`` and uses it as is (:meth:`load` returns it unchanged), so a
    vocabulary handed from a config to a dataset, to a hook and to a model is parsed once.

    Attributes:
        classes: the synonym tuples.
        source: where it came from (a shipped name, a file path, or ``'a list'``), for
            messages.
        allowed: ``(first, repeat)`` class index pairs the source may repeat
            (:data:`ALLOWED_REPEATS`).
    """

    def __init__(self, classes: Sequence[Sequence[str]], source: str = 'a list',
                 allowed: Sequence[Tuple[int, int]] = ()):
        self._classes = tuple(tuple(names) for names in classes)
        self._source = source
        self._allowed = tuple(tuple(pair) for pair in allowed)

    # immutability: the attributes are read-only views
    classes = property(lambda self: self._classes)
    source = property(lambda self: self._source)
    allowed = property(lambda self: self._allowed)

    @classmethod
    def load(cls, vocabulary: Union['Vocabulary', str, Sequence]) -> 'Vocabulary':
        """A vocabulary from a ``Vocabulary`` (returned as is), a shipped name, a file path, or
        a list of class entries (each a string such as ``"sofa, couch"`` or a list of
        synonyms). Classes repeated with the same synonyms are refused (:func:`check_unique`).
        """
        if isinstance(vocabulary, Vocabulary):
            return vocabulary
        if isinstance(vocabulary, str):
            path = vocabulary_path(vocabulary)
            with open(path, 'rb') as f:
                data = f.read()
            try:  # -sig: a byte-order mark (editors on Windows) is not part of the first class
                text = data.decode('utf-8-sig')
            except UnicodeDecodeError as e:
                line = 1 + data[:e.start].count(b'\n')
                raise ValueError(f'Vocabulary file {path} is not UTF-8 text (byte '
                                 f'{data[e.start:e.start + 1]!r} on line {line}): save it as '
                                 'UTF-8, one class per line.') from None
            entries = [line.strip() for line in text.splitlines()]
            entries = [e for e in entries if e and not e.startswith('#')]
            if not entries:
                raise ValueError(f'Vocabulary file {path} holds no class.')
            allowed = (ALLOWED_REPEATS.get(vocabulary) if path != vocabulary else None) or ()
            source = vocabulary if path != vocabulary else path  # a shipped name, or the path
            return cls(check_unique([parse_class(e) for e in entries],
                                    f'Vocabulary file {path}', allowed), source, allowed)
        if not isinstance(vocabulary, Sequence):
            raise TypeError(f'A vocabulary is a Vocabulary, a shipped name, a file path or a '
                            f'list of classes; got {type(vocabulary).__name__}.')
        classes = []
        for entry in vocabulary:
            if isinstance(entry, str):
                classes.append(parse_class(entry))
            else:
                names = [str(n).strip() for n in entry if str(n).strip()]
                if not names:
                    raise ValueError(f'Empty class entry {entry!r} in the vocabulary.')
                classes.append(names)
        if not classes:
            raise ValueError('The vocabulary is empty: give at least one class.')
        return cls(check_unique(classes), 'a list')

    # ------------------------------------------------------------------ sequence
    def __len__(self) -> int:
        return len(self._classes)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Vocabulary(self._classes[index], f'{self._source}[{index.start}:'
                              f'{index.stop}]')
        return self._classes[index]

    def __iter__(self) -> Iterator[Tuple[str, ...]]:
        return iter(self._classes)

    def __eq__(self, other) -> bool:
        """Equal classes in the same order (the source does not matter); a list of synonym
        lists compares by value too."""
        if isinstance(other, Vocabulary):
            return self._classes == other._classes
        if isinstance(other, Sequence) and not isinstance(other, str):
            return (len(other) == len(self) and all(
                not isinstance(c, str) and tuple(c) == mine
                for c, mine in zip(other, self._classes)))
        return NotImplemented

    def __add__(self, other: Union['Vocabulary', str, Sequence]) -> 'Vocabulary':
        """The classes of both, in order (repeats refused as by :meth:`load`); an empty list
        adds nothing."""
        return Vocabulary.load(self.to_list() + _classes_of(other))

    def __radd__(self, other: Sequence) -> 'Vocabulary':
        return Vocabulary.load(_classes_of(other) + self.to_list())

    def __hash__(self) -> int:
        return hash(self._classes)

    def __repr__(self) -> str:
        shown = ', '.join('/'.join(c) for c in self._classes[:4])
        more = ', ...' if len(self) > 4 else ''
        return f'Vocabulary({len(self)} classes from {self._source}: {shown}{more})'

    def __reduce__(self):
        return Vocabulary, (self._classes, self._source, self._allowed)

    # ------------------------------------------------------------------ views
    @cached_property
    def names(self) -> Tuple[str, ...]:
        """Display names (first synonyms)."""
        return tuple(c[0] for c in self._classes)

    @cached_property
    def digest(self) -> str:
        """SHA-256 over the classes and their synonyms (not the source): one key per class
        list, for caches and for telling vocabularies apart in logs."""
        payload = json.dumps([list(c) for c in self._classes], ensure_ascii=False)
        return hashlib.sha256(payload.encode('utf-8')).hexdigest()

    def to_list(self) -> List[List[str]]:
        """Plain lists (for JSON and configs)."""
        return [list(c) for c in self._classes]

    def seen(self, other: Union['Vocabulary', str, Sequence]) -> Tuple[bool, ...]:
        """Whether each class is one of ``other``'s classes (e.g. the training vocabulary):
        whether one of its names (case-insensitive) is a name of a class of ``other``, as
        FC-CLIP marks in-vocabulary test classes."""
        names = {n.lower() for c in Vocabulary.load(other) for n in c}
        return tuple(any(n.lower() in names for n in c) for c in self._classes)

    def unseen(self, other: Union['Vocabulary', str, Sequence]) -> Tuple[bool, ...]:
        """The complement of :meth:`seen`."""
        return tuple(not s for s in self.seen(other))


VocabularyLike = Union[Vocabulary, str, Sequence]


def _classes_of(vocabulary: VocabularyLike) -> List[List[str]]:
    """Synonym lists of a vocabulary; ``[]`` for an empty list (a vocabulary of its own must
    have a class, an addition may be empty)."""
    if not isinstance(vocabulary, str) and len(vocabulary) == 0:
        return []
    return Vocabulary.load(vocabulary).to_list()


def load_vocabulary(vocabulary: VocabularyLike) -> Vocabulary:
    """:meth:`Vocabulary.load`."""
    return Vocabulary.load(vocabulary)


def class_names(vocabulary: VocabularyLike) -> List[str]:
    """Display names (first synonym) of a vocabulary."""
    return list(Vocabulary.load(vocabulary).names)


def seen_mask(vocabulary: VocabularyLike, seen: VocabularyLike) -> List[bool]:
    """:meth:`Vocabulary.seen` as a list."""
    return list(Vocabulary.load(vocabulary).seen(seen))


def metainfo_vocabulary(meta: Optional[dict], source: str) -> Optional[Vocabulary]:
    """The classes a dataset's metainfo declares, with their synonyms (its ``vocabulary``, a
    :class:`Vocabulary` for ``VocabSegDataset``, else its ``classes``) as a
    :class:`Vocabulary` named ``source``; ``None`` when it declares none. Classes the dataset
    parsed already are wrapped and checked, not parsed again."""
    vocab = (meta or {}).get('vocabulary') or (meta or {}).get('classes')
    if not vocab:
        return None
    if isinstance(vocab, Vocabulary):
        return vocab
    classes = [tuple(v) if isinstance(v, (list, tuple)) else (v, ) for v in vocab]
    return Vocabulary(check_unique(classes, source), source)
