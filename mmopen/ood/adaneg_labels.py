"""AdaNeg's own negative labels (Zhang et al., NeurIPS 2024; the release's
``clip_fixed_ood_prompt.py``): a fixed number of labels, shared between nouns and adjectives by
their share of the candidates.

Where NegLabel keeps the 15% least ID-similar words of each part of speech, the AdaNeg release
keeps ``count`` (10,000) words in all: ``n_adj = int(count * A / (A + N))`` adjectives and
``count - n_adj`` nouns for ``A`` adjective and ``N`` noun candidates, each part ranked by the
similarity at position ``int(0.95 C)`` of its ``C`` sorted similarities to the ID classes
(:func:`mmopen.ood.neg_labels.neg_mining_scores`, ``quantile_mode='index'``), mined with the
prompts it scores with (``'The nice {}.'`` for the ID classes and nouns, ``'This is a {}
photo.'`` for adjectives). Its candidates are the ``adaneg`` pool
(:mod:`mmopen.ood.word_pools`).
"""
from typing import Callable, List, Sequence

import torch

from .neg_labels import NegLabels, dedupe_labels, mine_parts

ADANEG_NOUN_TEMPLATE = 'The nice {}.'
ADANEG_ADJ_TEMPLATE = 'This is a {} photo.'


def adaneg_split(count: int, num_nouns: int, num_adjectives: int):
    """``(nouns kept, adjectives kept)``: adjectives by their share of the candidates, rounded
    down, the rest nouns."""
    total = num_nouns + num_adjectives
    if count < 1 or count > total:
        raise ValueError(f'AdaNeg keeps count={count} labels but there are {total} candidates '
                         f'({num_nouns} nouns, {num_adjectives} adjectives): give 1 <= count <= '
                         f'{total} (the release: 10000 of ~70k WordNet words).')
    n_adj = int(count * num_adjectives / total)
    n_noun = count - n_adj
    if n_noun > num_nouns:  # only when the adjectives' share rounds down past the nouns
        n_noun, n_adj = num_nouns, count - num_nouns
    return n_noun, n_adj


def mine_adaneg_labels(encode: Callable[[List[str], str], torch.Tensor],
                       id_emb: torch.Tensor,
                       nouns: Sequence[str],
                       adjectives: Sequence[str],
                       count: int = 10000,
                       noun_template: str = ADANEG_NOUN_TEMPLATE,
                       adj_template: str = ADANEG_ADJ_TEMPLATE,
                       quantile: float = 0.95) -> NegLabels:
    """The ``count`` negatives of the AdaNeg release from ``nouns`` / ``adjectives`` (already
    the ``adaneg`` pool: deduplicated, ID names and nouns out of the adjectives); ``id_emb``
    must be encoded with ``noun_template``. Each part least ID-similar first. Other candidates
    are deduplicated first (:func:`mmopen.ood.neg_labels.dedupe_labels`: a word in both parts
    is a noun), which leaves the ``adaneg`` pool as it is."""
    nouns, adjectives = dedupe_labels(nouns, adjectives)[:2]
    n_noun, n_adj = adaneg_split(count, len(nouns), len(adjectives))
    picked = mine_parts(encode, id_emb, ((nouns, noun_template), (adjectives, adj_template)),
                        quantile, ratio=1.0, counts=(n_noun, n_adj), quantile_mode='index')
    return NegLabels(*picked)
