from .clip_ood_classifier import CLIPOODClassifier
from .ebm_prompt_classifier import EBMPromptClassifier
from .score_components import (DeltaEnergyScore, EnergyScore, MaxLogitScore, MCMScore, MSPScore,
                     NegLabelScore, OODScore, build_scores)

__all__ = [
    'CLIPOODClassifier', 'EBMPromptClassifier', 'DeltaEnergyScore', 'EnergyScore', 'MaxLogitScore', 'MCMScore',
    'MSPScore', 'NegLabelScore', 'OODScore', 'build_scores'
]
