"""Semantic-segmentation folders whose classes come from a vocabulary file."""
from typing import Optional, Sequence, Union

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mmopen.clip.vocabularies import load_vocabulary


def vocabulary_palette(num_classes: int, seed: int = 0) -> list:
    """A fixed, well-spread RGB colour per class (golden-ratio hues)."""
    import colorsys
    palette = []
    for i in range(num_classes):
        h = (i * 0.618033988749895 + seed * 0.1) % 1.0
        s = 0.65 + 0.35 * ((i // 7) % 2)
        v = 0.95 - 0.3 * ((i // 3) % 2)
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        palette.append([int(r * 255), int(g * 255), int(b * 255)])
    return palette


@DATASETS.register_module()
class VocabSegDataset(BaseSegDataset):
    """mmseg folder dataset (``img_path`` + ``seg_map_path``, ADE20K-style layout by default)
    whose class list is a vocabulary: a shipped name (``'ade_150'``), a vocabulary file, or a
    list of classes (``"sofa, couch"`` for synonyms).

    The dataset's ``metainfo`` carries ``classes`` (display names, the first synonym) and
    ``vocabulary`` (every class's synonyms) so that open-vocabulary heads can encode them;
    evaluating on another vocabulary is a config override of ``vocabulary``.
    """

    def __init__(self,
                 vocabulary: Union[str, Sequence],
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = True,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        vocab = load_vocabulary(vocabulary)
        meta = dict(classes=tuple(names[0] for names in vocab),
                    vocabulary=tuple(tuple(names) for names in vocab),
                    palette=vocabulary_palette(len(vocab)))
        meta.update(metainfo or {})
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, metainfo=meta, **kwargs)
