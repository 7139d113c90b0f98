"""The text bank of negative labels (NegLabel, CSP, AdaNeg): one embedding per label."""
from typing import Sequence, Union

import torch

from mmopen.clip import FrozenCLIP
from .csp import CSP_TEMPLATES
from .neg_labels import NegLabels, read_neg_labels


def load_neg_bank(clip: FrozenCLIP, neg_labels: Union[str, NegLabels, Sequence[str]],
                  noun_templates: Sequence[str], adj_templates: Sequence[str],
                  csp_templates: Sequence[str] = CSP_TEMPLATES,
                  adjectives_first: bool = False) -> torch.Tensor:
    """Text embeddings of negative labels (nouns, then adjectives, then CSP's conjugated
    labels; ``adjectives_first``: adjectives, then nouns, as the AdaNeg release stacks them),
    each kind averaged over its templates. The order decides which labels share a group of
    NegLabel's fixed permutation."""
    if isinstance(neg_labels, str):
        neg_labels = read_neg_labels(neg_labels)
    elif not isinstance(neg_labels, NegLabels):
        neg_labels = NegLabels(list(neg_labels), [])
    parts = [(neg_labels.nouns, noun_templates), (neg_labels.adjectives, adj_templates)]
    if adjectives_first:
        parts.reverse()
    parts.append((neg_labels.conjugated, csp_templates))
    return torch.cat([clip.text_embeddings([[w] for w in words], templates)
                      for words, templates in parts if words])
