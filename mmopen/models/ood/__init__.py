from .clip_ood_classifier import CLIPOODClassifier
from .ebm_prompt_classifier import EBMPromptClassifier
from .synood_classifier import ResidualProjection, SynOODClassifier
from .score_components import (DeltaEnergyScore, EnergyScore, MaxLogitScore, MCMScore, MSPScore,
                     NegLabelScore, OODScore, build_scores)

__all__ = [
    'CLIPOODClassifier', 'EBMPromptClassifier', 'DeltaEnergyScore', 'EnergyScore',
    'MaxLogitScore', 'MCMScore', 'MSPScore', 'NegLabelScore', 'OODScore', 'ResidualProjection',
    'SynOODClassifier', 'build_scores'
]
