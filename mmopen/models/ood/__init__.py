from .clip_ood_classifier import CLIPOODClassifier
from .ebm_prompt_classifier import EBMPromptClassifier
from .score_components import (AdaNegScore, CSPScore, DeltaEnergyScore, EnergyScore, GLMCMScore,
                               MaxLogitScore, MCMScore, MSPScore, NegLabelScore, OODScore,
                               build_scores)
from .synood_classifier import ResidualProjection, SynOODClassifier

__all__ = [
    'CLIPOODClassifier', 'EBMPromptClassifier', 'AdaNegScore', 'CSPScore', 'GLMCMScore',
    'DeltaEnergyScore', 'EnergyScore',
    'MaxLogitScore', 'MCMScore', 'MSPScore', 'NegLabelScore', 'OODScore', 'ResidualProjection',
    'SynOODClassifier', 'build_scores'
]
