from .vocab_seg_dataset import VocabSegDataset

__all__ = ['VocabSegDataset']
