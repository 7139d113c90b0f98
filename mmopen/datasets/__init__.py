from .few_shot import FewShotDataset
from .ood_sets import ImageListDataset, OODBenchmarkDataset
from .vocab_seg_dataset import VocabSegDataset

__all__ = ['FewShotDataset', 'ImageListDataset', 'OODBenchmarkDataset', 'VocabSegDataset']
