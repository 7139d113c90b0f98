"""Registered OOD score components: thin shells over :mod:`mmopen.ood.scores`.

Configs name them in a classifier's ``scores`` list, e.g.
``scores=[dict(type='NegLabelScore', groups=100), dict(type='MCMScore')]``. Each has a ``name``
(the key under which its values are reported) and is called with cosine similarities
(``id_sims``: ``B x C``; ``neg_sims``: ``B x N`` or ``None``), returning ``B`` scores,
higher = more in-distribution.
"""
from typing import Optional

import torch
from mmpretrain.registry import MODELS

from mmopen.ood import scores as ood_scores


class OODScore:
    """Base class: a named, configured score function."""
    default_name = 'score'
    needs_negatives = False

    def __init__(self, name: Optional[str] = None):
        self.name = name or self.default_name

    def compute(self, id_sims: torch.Tensor, neg_sims: Optional[torch.Tensor],
                neg_ordered: bool = False) -> torch.Tensor:
        raise NotImplementedError

    def neg_order(self, num_neg: int) -> Optional[torch.Tensor]:
        """The column order this score reads the negatives in, if any: a classifier that
        stores its negative text bank in this order once passes ``neg_ordered=True`` and saves a
        gather per batch."""
        return None

    def __call__(self, id_sims: torch.Tensor, neg_sims: Optional[torch.Tensor] = None,
                 neg_ordered: bool = False) -> torch.Tensor:
        """``neg_ordered``: the columns of ``neg_sims`` already follow :meth:`neg_order`."""
        if self.needs_negatives and neg_sims is None:
            raise ValueError(f'{type(self).__name__} ({self.name}) needs negative-label '
                             'similarities: configure the classifier with `neg_labels` (a '
                             'label file, e.g. from tools/ood/mine_neg_labels.py).')
        return self.compute(id_sims, neg_sims, neg_ordered)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


@MODELS.register_module()
class MSPScore(OODScore):
    default_name = 'MSP'

    def __init__(self, tau: float = 0.01, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.msp(id_sims, self.tau)


@MODELS.register_module()
class MaxLogitScore(OODScore):
    default_name = 'MaxLogit'

    def __init__(self, tau: float = 0.01, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.max_logit(id_sims, self.tau)


@MODELS.register_module()
class EnergyScore(OODScore):
    default_name = 'Energy'

    def __init__(self, tau: float = 0.01, temperature: float = 1.0, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.temperature = temperature

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.energy(id_sims, self.tau, self.temperature)


@MODELS.register_module()
class MCMScore(OODScore):
    default_name = 'MCM'

    def __init__(self, temperature: float = 1.0, name: Optional[str] = None):
        super().__init__(name)
        self.temperature = temperature

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.mcm(id_sims, self.temperature)


@MODELS.register_module()
class NegLabelScore(OODScore):
    """NegLabel with ``groups`` groups of negatives (fixed permutation ``seed``)."""
    default_name = 'NegLabel'
    needs_negatives = True

    def __init__(self, tau: float = 0.01, groups: int = 100, seed: int = 0,
                 name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.groups = groups
        self.seed = seed

    def neg_order(self, num_neg: int) -> torch.Tensor:
        return ood_scores.neglabel_group_index(num_neg, self.groups, self.seed).flatten()

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        if neg_ordered:
            keep = neg_sims.shape[1] - neg_sims.shape[1] % self.groups
            return ood_scores.neglabel(id_sims, neg_sims[:, :keep], self.tau, self.groups,
                              grouped=True)
        return ood_scores.neglabel(id_sims, neg_sims, self.tau, self.groups, self.seed)


@MODELS.register_module()
class DeltaEnergyScore(OODScore):
    """ΔEnergy with the top ``top_c`` similarities cropped to ``crop_value``."""
    default_name = 'DeltaEnergy'

    def __init__(self, tau: float = 0.01, top_c: int = 1, crop_value: float = 0.0,
                 name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.top_c = top_c
        self.crop_value = crop_value

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.delta_energy(id_sims, self.tau, self.top_c, self.crop_value)


def build_scores(cfgs) -> list:
    """Build score components from configs (or pass instances through); names must be unique."""
    scores = [MODELS.build(c) if isinstance(c, dict) else c for c in cfgs]
    names = [s.name for s in scores]
    if len(set(names)) != len(names):
        raise ValueError(f'OOD score names must be unique, got {names}: give repeated types '
                         'a `name=`.')
    return scores
