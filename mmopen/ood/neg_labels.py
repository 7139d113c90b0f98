"""Negative-label files and NegLabel's NegMining (Jiang et al., ICLR 2024, Sec. 3.2).

A label file is plain text, one label per line. A line may start with its part of speech and
a tab (``noun\\tcarburetor``, ``adj\\tsquishy``): nouns and untagged lines are prompted with the
noun template (``'the nice {}'``), adjectives with the adjective template
(``'This is a {} photo'``). Blank lines and lines starting with ``#`` are ignored.

A word is a negative label once: repeats (compared case-insensitively) are dropped when a file
is read and before mining, and a word that is both a noun and an adjective is kept as a noun
(as the AdaNeg release; the NegLabel and CSP releases give it to the first of their word lists
that holds it, which :mod:`mmopen.ood.word_pools` does for their pools before mining).
"""
import os.path as osp
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import torch

from mmopen.utils.io import write_text_atomic


class NegLabels(NamedTuple):
    nouns: List[str]
    adjectives: List[str]
    conjugated: Sequence[str] = ()  # CSP's "adjective superclass" labels

    def __len__(self) -> int:
        return len(self.nouns) + len(self.adjectives) + len(self.conjugated)


def dedupe_labels(nouns: Sequence[str], adjectives: Sequence[str]) -> NegLabels:
    """Each word once, compared case-insensitively, in order; nouns first, so a word in both
    lists stays a noun."""  # pools already deduplicated across lists pass through unchanged
    seen = set()
    out: List[List[str]] = [[], []]
    for i, words in enumerate((nouns, adjectives)):
        for w in words:
            if w.lower() not in seen:
                seen.add(w.lower())
                out[i].append(w)
    return NegLabels(out[0], out[1])


def read_neg_labels(path: str) -> NegLabels:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Negative-label file {path!r} does not exist. Mine one with '
            '`python tools/ood/mine_neg_labels.py` or give your own file (one label per line, '
            'optionally "noun<TAB>" / "adj<TAB>" first).')
    nouns, adjs, conj = [], [], []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            if '\t' in line:
                pos, word = line.split('\t', 1)
                pos = pos.strip().lower()
                if pos not in ('noun', 'adj', 'csp'):
                    raise ValueError(f'{path}:{n}: unknown part of speech {pos!r} (use noun, '
                                     'adj or csp before the tab).')
            else:
                pos, word = 'noun', line
            word = word.strip()
            dict(noun=nouns, adj=adjs, csp=conj)[pos].append(word)
    if not nouns and not adjs and not conj:
        raise ValueError(f'Negative-label file {path!r} holds no label.')
    labels = dedupe_labels(nouns, adjs)
    seen = set()
    # (not _replace: NegLabels' __len__ counts labels, which namedtuple's _make trips on)
    return NegLabels(labels.nouns, labels.adjectives, tuple(
        w for w in conj if not (w.lower() in seen or seen.add(w.lower()))))


def write_neg_labels(path: str, labels: NegLabels, header: Sequence[str] = ()) -> None:
    """Write a tagged label file atomically."""
    lines = [f'# {h}\n' for h in header]
    lines += [f'noun\t{w}\n' for w in labels.nouns]
    lines += [f'adj\t{w}\n' for w in labels.adjectives]
    lines += [f'csp\t{w}\n' for w in labels.conjugated]
    write_text_atomic(''.join(lines), path)


def neg_mining_scores(candidate_emb: torch.Tensor, id_emb: torch.Tensor,
                      quantile: float = 0.95, chunk: int = 4096,
                      max_sim_cutoff: Optional[float] = None,
                      quantile_mode: str = 'linear') -> torch.Tensor:
    """NegMining's distance proxy: for each candidate, the ``quantile`` of its cosine
    similarities to all ID class embeddings (both L2-normalised). Lower = farther from ID.
    ``max_sim_cutoff`` (CSP): a candidate whose largest similarity to an ID class exceeds it gets
    1.0, the farthest from being chosen.

    ``quantile_mode``: ``'linear'`` interpolates (``torch.quantile``, the NegLabel and CSP
    releases); ``'index'`` takes the similarity at position ``int(C * quantile)`` of the ``C``
    sorted ascending (the AdaNeg release: with 1000 classes the 951st smallest, where
    ``'linear'`` lies between the 950th and the 951st)."""
    if quantile_mode not in ('linear', 'index'):
        raise ValueError(f"quantile_mode={quantile_mode!r}: 'linear' or 'index'.")
    out = []
    for i in range(0, candidate_emb.shape[0], chunk):
        sims = candidate_emb[i:i + chunk].float() @ id_emb.float().T
        if quantile_mode == 'index':
            k = min(int(sims.shape[1] * quantile), sims.shape[1] - 1)
            q = torch.sort(sims, dim=1).values[:, k]
        else:
            q = torch.quantile(sims, quantile, dim=1)
        if max_sim_cutoff is not None:
            q[sims.max(dim=1).values > max_sim_cutoff] = 1.0
        out.append(q)
    return torch.cat(out) if out else torch.zeros(0)


def select_least_similar(words: Sequence[str], scores: torch.Tensor, ratio: float,
                         count: Optional[int] = None) -> Tuple[List[str], torch.Tensor]:
    """The ``ratio`` fraction of ``words`` (``int(len * ratio)``; or exactly ``count``) with
    the lowest scores, lowest first (stable)."""
    if not 0 < ratio <= 1:
        raise ValueError(f'ratio={ratio} must be in (0, 1].')
    k = int(len(words) * ratio) if count is None else count
    order = torch.sort(scores, stable=True).indices[:k]
    return [words[i] for i in order.tolist()], scores[order]


def mine_parts(encode: Callable, id_emb: torch.Tensor, parts, quantile: float = 0.95,
               ratio: float = 0.15, max_sim_cutoff: Optional[float] = None,
               counts: Optional[Sequence[int]] = None,
               quantile_mode: str = 'linear') -> List[List[str]]:
    """NegMining per part: for each ``(words, template)`` of ``parts``, the ``ratio`` least
    ID-similar words, or exactly ``counts[i]`` of part ``i`` (each part mined on its own, as
    NegLabel, CSP and AdaNeg do). ``quantile_mode``: see :func:`neg_mining_scores`."""
    picked = []
    for i, (words, template) in enumerate(parts):
        count = None if counts is None else counts[i]
        if not words or count == 0:
            picked.append([])
            continue
        scores = neg_mining_scores(encode(list(words), template), id_emb, quantile,
                                   max_sim_cutoff=max_sim_cutoff, quantile_mode=quantile_mode)
        picked.append(select_least_similar(words, scores, ratio, count)[0])
    return picked


def mine_neg_labels(encode: Callable[[List[str], str], torch.Tensor],
                    id_emb: torch.Tensor,
                    nouns: Sequence[str],
                    adjectives: Sequence[str],
                    noun_template: str = 'the nice {}',
                    adj_template: str = 'This is a {} photo',
                    quantile: float = 0.95,
                    ratio: float = 0.15,
                    max_sim_cutoff: Optional[float] = None) -> NegLabels:
    """NegMining: keep the ``ratio`` least ID-similar nouns and adjectives.

    ``encode(words, template)`` returns L2-normalised text embeddings of the templated words
    (a template may also be a list of templates, averaged). The candidates are deduplicated
    first (:func:`dedupe_labels`). ``max_sim_cutoff``: see :func:`neg_mining_scores`.
    """
    labels = dedupe_labels(nouns, adjectives)
    picked = mine_parts(encode, id_emb, ((labels.nouns, noun_template),
                                         (labels.adjectives, adj_template)),
                        quantile, ratio, max_sim_cutoff)
    return NegLabels(*picked)
