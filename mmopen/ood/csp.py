"""CSP: the Conjugated Semantic Pool (Chen, Gao & Xu, NeurIPS 2024).

CSP extends NegLabel's pool of negative labels with *conjugated semantic labels*: a modifier
(a WordNet adjective) attached to a broad superclass word (``"squishy object"``,
``"lively scene"``). Each such label stands for a cluster of images that share a property across
categories, so it is matched by OOD images that no single noun describes. The score is NegLabel's
(eq. 4 with grouping, :func:`mmopen.ood.neglabel`) over the mined pool.

As in the CSP release (``MengyuanChen21/NeurIPS2024-CSP``):

* superclasses: the 14 words of :data:`CSP_SUPERCLASSES`; **one** superclass per adjective,
  drawn at random with a seed;
* conjugated labels are prompted with the 4 templates of :data:`CSP_TEMPLATES`; nouns and the
  ID classes with the 8 of :data:`CSP_NOUN_TEMPLATES` (embeddings averaged over templates);
* NegLabel's plain adjectives are **replaced** by the conjugated labels; nouns are kept;
* nouns and conjugated labels are mined **separately** with NegMining (0.95 quantile of the
  similarities to the ID classes, the 15% lowest of each kept), and a candidate whose largest
  similarity to any ID class exceeds 0.95 is never kept.

Reconstructions and differences (documented, not hidden):

* the release reads adjectives from WordNet's lexicographer files in directory-listing order
  with Python's ``random.choice`` (seed 0), so *which* superclass an adjective gets depends on
  that order; here the adjectives come in WordNet's ``data.adj`` order and the draw is
  ``random.Random(seed).choice`` per adjective: the same distribution, not the same draw;
* templates are averaged the way :mod:`mmopen.clip.text` averages every ensemble (each prompt
  L2-normalised first); the release averages the unnormalised prompt embeddings of negatives.
"""
import random
from typing import Callable, List, Sequence

import torch

from mmopen.clip.templates import CSP_CONJUGATED, CSP_NOUNS
from .neg_labels import NegLabels, dedupe_labels, mine_parts

CSP_SUPERCLASSES = ('environment', 'space', 'object', 'scene', 'place', 'item', 'area', 'view',
                    'thing', 'pattern', 'structure', 'landscape', 'vista', 'creature')
# the template sets 'csp' and 'csp_nouns' of mmopen.clip
CSP_TEMPLATES = CSP_CONJUGATED
CSP_NOUN_TEMPLATES = CSP_NOUNS


def conjugated_labels(adjectives: Sequence[str],
                      superclasses: Sequence[str] = CSP_SUPERCLASSES,
                      seed: int = 0) -> List[str]:
    """``"<adjective> <superclass>"`` for every adjective, its superclass drawn uniformly at
    random (``random.Random(seed)``, one draw per adjective in order)."""
    if not superclasses:
        raise ValueError('CSP needs at least one superclass word.')
    rng = random.Random(seed)
    return [f'{adj} {rng.choice(list(superclasses))}' for adj in adjectives]


def mine_csp_labels(encode: Callable[[List[str], Sequence[str]], torch.Tensor],
                    id_emb: torch.Tensor,
                    nouns: Sequence[str],
                    adjectives: Sequence[str],
                    superclasses: Sequence[str] = CSP_SUPERCLASSES,
                    noun_templates: Sequence[str] = CSP_NOUN_TEMPLATES,
                    csp_templates: Sequence[str] = CSP_TEMPLATES,
                    quantile: float = 0.95,
                    ratio: float = 0.15,
                    max_sim_cutoff: float = 0.95,
                    seed: int = 0) -> NegLabels:
    """CSP's pool: the ``ratio`` least ID-similar nouns and, separately, the ``ratio`` least
    ID-similar conjugated labels (no plain adjectives).

    ``encode(words, templates)`` returns L2-normalised, template-averaged text embeddings.
    """
    labels = dedupe_labels(nouns, adjectives)
    conj = conjugated_labels(labels.adjectives, superclasses, seed)
    picked = mine_parts(encode, id_emb, ((labels.nouns, noun_templates), (conj, csp_templates)),
                        quantile, ratio, max_sim_cutoff)
    return NegLabels(picked[0], [], tuple(picked[1]))
