"""Registered data sets and transforms (mmpretrain / mmseg / mmengine registries)."""
from .few_shot import FewShotDataset
from .ood_sets import ImageListDataset, OODBenchmarkDataset
from .osdg_dataset import OSDGDataset
from .synood_dataset import SynOODDataset
from .synood_transform import SynOODTransform
from .vocab_seg_dataset import VocabSegDataset
from .wide_annotations import LoadWideAnnotations

__all__ = ['FewShotDataset', 'ImageListDataset', 'LoadWideAnnotations', 'OODBenchmarkDataset',
           'OSDGDataset', 'SynOODDataset', 'SynOODTransform', 'VocabSegDataset']
