from .few_shot import FewShotDataset
from .ood_sets import ImageListDataset, OODBenchmarkDataset
from .synood_dataset import SynOODDataset
from .vocab_seg_dataset import VocabSegDataset
from .wide_annotations import LoadWideAnnotations

__all__ = ['FewShotDataset', 'ImageListDataset', 'LoadWideAnnotations', 'OODBenchmarkDataset',
           'SynOODDataset', 'VocabSegDataset']
