"""Semantic-segmentation folders whose classes come from a vocabulary file."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine import fileio
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

    Args:
        vocabulary: the dataset's classes, in label order.
        annotation_vocabulary: the classes the label maps index, when they are not
            ``vocabulary``: each label is then mapped to the class of ``vocabulary`` with the
            same names, and labels of classes ``vocabulary`` does not list become
            ``ignore_index``. This trains on a subset of the annotated classes (the rest held
            out as unseen) or evaluates a subset, without rewriting the label maps.
        img_suffix: image file suffix, or several (``('.jpg', '.png')``) for folders that mix
            formats.
    """

    def __init__(self,
                 vocabulary: Union[str, Sequence],
                 annotation_vocabulary: Optional[Union[str, Sequence]] = None,
                 img_suffix: Union[str, Sequence[str]] = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = True,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        vocab = load_vocabulary(vocabulary)
        self._annotation_vocabulary = (load_vocabulary(annotation_vocabulary)
                                       if annotation_vocabulary is not None else None)
        meta = dict(classes=tuple(names[0] for names in vocab),
                    vocabulary=tuple(tuple(names) for names in vocab),
                    palette=vocabulary_palette(len(vocab)))
        meta.update(metainfo or {})
        if not isinstance(img_suffix, str):
            img_suffix = tuple(img_suffix)
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, metainfo=meta, **kwargs)

    def get_label_map(self, new_classes=None) -> Optional[dict]:
        """``{annotation label: dataset label}`` when the label maps index
        ``annotation_vocabulary``; ``None`` when they index ``vocabulary`` itself."""
        if self._annotation_vocabulary is None:
            return None
        vocab = [tuple(n.lower() for n in names) for names in self._metainfo['vocabulary']]
        ann = [tuple(n.lower() for n in names) for names in self._annotation_vocabulary]
        unknown = [', '.join(v) for v in vocab if v not in ann]
        if unknown:
            raise ValueError(f'Classes {unknown[:5]} of the vocabulary are not in the '
                             f'annotation vocabulary ({len(ann)} classes): every class must be '
                             'an annotated class, with the same names.')
        if vocab == ann:
            return None
        return {i: vocab.index(c) if c in vocab else self.ignore_index for i, c in enumerate(ann)}

    @property
    def held_out_classes(self) -> List[str]:
        """The annotated classes this dataset labels ``ignore_index`` (those of
        ``annotation_vocabulary`` that ``vocabulary`` does not list: the unseen classes of a
        zero-shot training set), by their first name; empty when none is."""
        if self._annotation_vocabulary is None or not self.label_map:
            return []
        return [self._annotation_vocabulary[i][0] for i, j in sorted(self.label_map.items())
                if j == self.ignore_index]

    def load_data_list(self) -> List[dict]:
        if isinstance(self.img_suffix, str):
            return super().load_data_list()
        if self.ann_file:
            raise ValueError('VocabSegDataset: several img_suffix values work with folder '
                             'scanning, not with ann_file; give one suffix.')
        img_dir = self.data_prefix.get('img_path', None)
        ann_dir = self.data_prefix.get('seg_map_path', None)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'Image folder {img_dir!r} does not exist.')
        data_list = []
        for img in fileio.list_dir_or_file(dir_path=img_dir, list_dir=False,
                                           suffix=self.img_suffix, recursive=True,
                                           backend_args=self.backend_args):
            suffix = next(s for s in self.img_suffix if img.endswith(s))
            info = dict(img_path=osp.join(img_dir, img), label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label, seg_fields=[])
            if ann_dir is not None:
                info['seg_map_path'] = osp.join(ann_dir,
                                                img[:-len(suffix)] + self.seg_map_suffix)
            data_list.append(info)
        return sorted(data_list, key=lambda x: x['img_path'])
