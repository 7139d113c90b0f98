from .ood_sets import ImageListDataset, OODBenchmarkDataset
from .vocab_seg_dataset import VocabSegDataset

__all__ = ['ImageListDataset', 'OODBenchmarkDataset', 'VocabSegDataset']
