from .few_shot import FewShotDataset
from .ood_sets import ImageListDataset, OODBenchmarkDataset
from .osdg_benchmarks import (OSDGBenchmark, holdout_split, list_domain_images,
                              load_osdg_benchmark)
from .osdg_dataset import OSDGDataset
from .synood_dataset import SynOODDataset
from .vocab_seg_dataset import VocabSegDataset
from .wide_annotations import LoadWideAnnotations

__all__ = ['FewShotDataset', 'ImageListDataset', 'LoadWideAnnotations', 'OODBenchmarkDataset',
           'OSDGBenchmark', 'OSDGDataset', 'SynOODDataset', 'VocabSegDataset', 'holdout_split',
           'list_domain_images', 'load_osdg_benchmark']
