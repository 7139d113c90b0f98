"""Analyses of open-vocabulary segmentation (OVSNet / OpenBench paper, Sec. 3)."""
from .openbench import OpenBenchSelection, select_openbench
from .semantic_similarity import max_similarity, similarity_summary

__all__ = ['OpenBenchSelection', 'select_openbench', 'max_similarity', 'similarity_summary']
