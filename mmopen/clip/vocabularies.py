"""Class vocabularies shipped as data files, and user vocabularies.

A vocabulary file has one class per line; synonyms of one class share its line, separated by
``", "`` (``"sofa, couch"``), the first one being the display name. Blank lines and lines
starting with ``#`` are ignored. The shipped files live in ``mmopen/clip/vocabularies/`` (see the
README there for their sources): ``coco_stuff_171``, ``coco_panoptic_133``, ``ade_150``,
``ade_847``, ``pascal_context_59``, ``pascal_context_459``, ``voc_20``, ``cityscapes_19``,
``imagenet_1k``, and ``imagenet_1k_openclip``: the list the OOD papers' releases score over,
with its two repeated names, loaded under :data:`ALLOWED_REPEATS` only.
"""
import logging
import os
import os.path as osp
from typing import List, Sequence, Tuple, Union

VOCAB_DIR = osp.join(osp.dirname(__file__), 'vocabularies')

Vocabulary = List[List[str]]  # one list of synonyms per class


class LoadedVocabulary(list):
    """A vocabulary as :func:`load_vocabulary` returns it: the classes, and the repeats its
    source is allowed (``allowed``, :data:`ALLOWED_REPEATS`), which a later
    ``load_vocabulary(this list)`` honours (text encoders reload what they are given)."""

    def __init__(self, classes, allowed=()):
        super().__init__(classes)
        self.allowed = tuple(allowed)

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


def check_unique(classes: Vocabulary, source: str = 'the vocabulary',
                 allowed: Sequence[Tuple[int, int]] = ()) -> Vocabulary:
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
            from mmengine.logging import print_log
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


def load_vocabulary(vocabulary: Union[str, Sequence[Union[str, Sequence[str]]]]) -> Vocabulary:
    """Load a vocabulary from a shipped name, a file path, or a list of class entries (each a
    string such as ``"sofa, couch"`` or a list of synonyms). Classes repeated with the same
    synonyms are refused (:func:`check_unique`)."""
    if isinstance(vocabulary, str):
        path = vocabulary_path(vocabulary)
        with open(path, encoding='utf-8') as f:
            entries = [line.strip() for line in f]
        entries = [e for e in entries if e and not e.startswith('#')]
        if not entries:
            raise ValueError(f'Vocabulary file {path} holds no class.')
        allowed = (ALLOWED_REPEATS.get(vocabulary) if path != vocabulary else None) or ()
        return LoadedVocabulary(check_unique([parse_class(e) for e in entries],
                                             f'Vocabulary file {path}', allowed), allowed)
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
    allowed = getattr(vocabulary, 'allowed', ())
    return LoadedVocabulary(check_unique(classes, allowed=allowed), allowed)


def class_names(vocabulary: Union[str, Sequence]) -> List[str]:
    """Display names (first synonym) of a vocabulary."""
    return [names[0] for names in load_vocabulary(vocabulary)]


def seen_mask(vocabulary: Union[str, Sequence], seen: Union[str, Sequence]) -> List[bool]:
    """Whether each class of ``vocabulary`` is one of the ``seen`` classes (e.g. the training
    vocabulary): whether one of its names (case-insensitive) is a name of a seen class, as
    FC-CLIP marks in-vocabulary test classes."""
    names = {n.lower() for c in load_vocabulary(seen) for n in c}
    return [any(n.lower() in names for n in c) for c in load_vocabulary(vocabulary)]
