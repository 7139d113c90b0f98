"""Label maps with more than 255 classes (ADE-847, PC-459: 16-bit TIFF / PNG)."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image


@TRANSFORMS.register_module()
class LoadWideAnnotations(BaseTransform):
    """Load a semantic label map without mmseg's cast to ``uint8`` (which wraps class ids above
    255), keeping ``int64`` ids. Values in ``ignore_values`` become ``ignore_index``; a
    dataset's ``label_map`` (e.g. ``VocabSegDataset(annotation_vocabulary=...)``, whose unlisted
    classes map to the dataset's ``ignore_index``: give such a dataset ``ignore_index=65535``)
    is applied after ``reduce_zero_label``, as mmseg's ``LoadAnnotations`` does.

    Use with ``ignore_index=65535`` in the metric and the data preprocessor's ``seg_pad_val``
    (255 is a valid class here).
    """

    def __init__(self, ignore_values: Sequence[int] = (65535, ), ignore_index: int = 65535,
                 reduce_zero_label: bool = False):
        self.ignore_values = tuple(ignore_values)
        self.ignore_index = ignore_index
        self.reduce_zero_label = reduce_zero_label

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        label = np.asarray(Image.open(path)).astype(np.int64)
        if label.ndim == 3:
            label = label[..., 0]
        ignore = np.isin(label, self.ignore_values)
        if self.reduce_zero_label:
            ignore |= label == 0
            label = label - 1
        label[ignore] = self.ignore_index
        label_map = results.get('label_map')
        if label_map:
            mapped = label.copy()
            for old, new in label_map.items():
                mapped[label == old] = new
            label = mapped
        results['gt_seg_map'] = label
        results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ignore_values={self.ignore_values}, '
                f'ignore_index={self.ignore_index}, reduce_zero_label={self.reduce_zero_label})')
