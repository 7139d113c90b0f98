from .scores import (DeltaEnergyScore, EnergyScore, MaxLogitScore, MCMScore, MSPScore,
                     NegLabelScore, OODScore, build_scores)

__all__ = [
    'DeltaEnergyScore', 'EnergyScore', 'MaxLogitScore', 'MCMScore', 'MSPScore', 'NegLabelScore',
    'OODScore', 'build_scores'
]
