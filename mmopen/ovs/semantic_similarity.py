"""Semantic similarity of a test vocabulary to the training vocabulary (the paper's Table 1
and Fig. 1a): for each test class, its maximum CLIP text similarity to any training class."""
from typing import Dict

import numpy as np
import torch


def max_similarity(test_emb: torch.Tensor, train_emb: torch.Tensor) -> torch.Tensor:
    """``C_test`` values: ``max_j cos(test_i, train_j)`` of L2-normalised embeddings."""
    return (test_emb.float() @ train_emb.float().T).max(dim=1).values


def similarity_summary(values) -> Dict[str, float]:
    """Mean, median, min and max (the columns of Table 1)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError('No class to summarise.')
    return dict(mean=float(v.mean()), median=float(np.median(v)), min=float(v.min()),
                max=float(v.max()))
