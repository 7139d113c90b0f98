from .clip_ood_classifier import CLIPOODClassifier
from .scores import (DeltaEnergyScore, EnergyScore, MaxLogitScore, MCMScore, MSPScore,
                     NegLabelScore, OODScore, build_scores)

__all__ = [
    'CLIPOODClassifier', 'DeltaEnergyScore', 'EnergyScore', 'MaxLogitScore', 'MCMScore',
    'MSPScore', 'NegLabelScore', 'OODScore', 'build_scores'
]
