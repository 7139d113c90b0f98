"""Class vocabularies shipped as data files, and user vocabularies.

A vocabulary file has one class per line; synonyms of one class share its line, separated by
``", "`` (``"sofa, couch"``), the first one being the display name. Blank lines and lines
starting with ``#`` are ignored. The shipped files live in ``mmopen/clip/vocabularies/`` (see the
README there for their sources): ``coco_stuff_171``, ``coco_panoptic_133``, ``ade_150``,
``ade_847``, ``pascal_context_59``, ``pascal_context_459``, ``voc_20``, ``cityscapes_19``,
``imagenet_1k``.
"""
import os
import os.path as osp
from typing import List, Sequence, Union

VOCAB_DIR = osp.join(osp.dirname(__file__), 'vocabularies')

Vocabulary = List[List[str]]  # one list of synonyms per class


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


def check_unique(classes: Vocabulary, source: str = 'the vocabulary') -> Vocabulary:
    """Refuse classes with the same synonyms (compared case-insensitively, in any order): they
    get identical text embeddings, so all but the first could never be predicted."""
    seen = {}
    dups = []
    for i, names in enumerate(classes):
        key = frozenset(n.lower() for n in names)
        if key in seen:
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
        return check_unique([parse_class(e) for e in entries], f'Vocabulary file {path}')
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
    return check_unique(classes)


def class_names(vocabulary: Union[str, Sequence]) -> List[str]:
    """Display names (first synonym) of a vocabulary."""
    return [names[0] for names in load_vocabulary(vocabulary)]


def seen_mask(vocabulary: Union[str, Sequence], seen: Union[str, Sequence]) -> List[bool]:
    """Whether each class of ``vocabulary`` is one of the ``seen`` classes (e.g. the training
    vocabulary): whether one of its names (case-insensitive) is a name of a seen class, as
    FC-CLIP marks in-vocabulary test classes."""
    names = {n.lower() for c in load_vocabulary(seen) for n in c}
    return [any(n.lower() in names for n in c) for c in load_vocabulary(vocabulary)]
