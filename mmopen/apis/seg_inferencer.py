"""``OpenVocabSegInferencer``: open-vocabulary segmentation of images with any vocabulary.

    from mmopen.apis import OpenVocabSegInferencer
    seg = OpenVocabSegInferencer('ovsnet_clip-tiny-convnext_quickstart',
                                 'last:work_dirs/quickstart/seed0/ovsnet')
    result = seg('photo.jpg', vocabulary=['cat', 'sofa, couch', 'floor'], out_dir='out')

A vocabulary is a list of classes (synonyms of one class separated by ``", "``), a vocabulary
file, a shipped vocabulary name (``mmopen.clip.vocabularies.list_vocabularies()``) or a
:class:`~mmopen.clip.Vocabulary`. It can change from call to call: the model is not reloaded,
and each vocabulary's text embeddings are computed once (then cached on disk by
:mod:`mmopen.clip.text`).
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.logging import print_log

from mmopen.clip.text_classifier import text_classifiers
from mmopen.clip.vocabularies import Vocabulary, VocabularyLike
from mmopen.utils.io import write_json_atomic
from mmopen.utils.sharded_writer import save_image
from .base import InputsType, MMOpenInferencer, read_rgb
from .drawing import segmentation_picture


class OpenVocabSegInferencer(MMOpenInferencer):
    """Segment images over a free-text vocabulary with an open-vocabulary segmentor (OVSNet, or
    any mmseg segmentor whose head classifies with :class:`~mmopen.clip.TextClassifier`).

    Args:
        model, weights, device, cfg_options, show_progress: see
            :class:`~mmopen.apis.base.MMOpenInferencer`.
        vocabulary: the default vocabulary (default: the config's test set's, as
            ``tools/test.py`` evaluates with, else the head's evaluation vocabulary).

    Calling it returns ``{'predictions': ..., 'visualization': ...}``, one entry per image
    (the entry itself for a single image). A prediction is a dict:

    * ``sem_seg``: ``H x W`` class indices into the vocabulary, at the image's size;
    * ``classes``: the vocabulary's display names (its first synonym per class);
    * ``masks``: ``{class name: H x W bool}`` of the classes present;
    * ``present``: ``[{'label', 'class', 'pixels', 'fraction'}]``, the largest first;
    * ``image``: the input's path (``None`` for an array).

    ``visualization`` holds, with ``return_vis=True``, the image blended with its label map
    next to a legend of the classes present (RGB ``uint8``). With ``out_dir``, each image
    ``NAME`` writes ``out_dir/vis/NAME.png`` (that picture), ``out_dir/pred/NAME.png`` (the
    label map: 8-bit below 256 classes, else 16-bit) and ``out_dir/pred/NAME.json`` (the
    vocabulary, the classes present and their areas).
    """
    default_scope = 'mmseg'
    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis', 'opacity', 'img_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 vocabulary: Optional[VocabularyLike] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: Optional[bool] = None) -> None:
        super().__init__(model, weights, device, cfg_options, show_progress)
        self.heads = text_classifiers(self.model)
        if not self.heads:
            raise ValueError(f'{type(self.model).__name__} has no open-vocabulary head (a '
                             'module with a TextClassifier, e.g. OVSNetHead): it cannot take '
                             'a vocabulary.')
        self._vocabulary = Vocabulary.load(vocabulary) if vocabulary is not None else None

    @property
    def vocabulary(self) -> Vocabulary:
        """The vocabulary of calls that give none: the one set, else the config's test set's
        (read when first needed: a machine without the data set can still name its own), else
        the head's evaluation vocabulary."""
        if self._vocabulary is None:
            dataset = self.cfg.get('test_dataloader', {}).get('dataset', {})
            try:
                self._vocabulary = Vocabulary.load(dataset['vocabulary'])
            except (KeyError, TypeError, FileNotFoundError, ValueError) as e:
                self._vocabulary = self.heads[0].vocabulary(False)
                print_log(f'No test-set vocabulary ({e}); using the head\'s '
                          f'{len(self._vocabulary)} classes.', logger='current', level=30)
        return self._vocabulary

    def set_vocabulary(self, vocabulary: VocabularyLike) -> Vocabulary:
        """Make ``vocabulary`` the default of later calls; returns it parsed."""
        self._vocabulary = Vocabulary.load(vocabulary)
        return self._vocabulary

    def __call__(self,
                 inputs: InputsType,
                 vocabulary: Optional[VocabularyLike] = None,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 opacity: float = 0.6,
                 out_dir: str = '',
                 return_datasamples: bool = False) -> dict:
        """Segment ``inputs`` over ``vocabulary`` (this call only; default: the inferencer's).
        ``return_datasamples`` returns mmseg's ``SegDataSample`` objects instead."""
        vocab = Vocabulary.load(vocabulary) if vocabulary is not None else self.vocabulary
        for head in self.heads:
            head.set_test_vocabulary(vocab, override_config=True)
        self._call_vocabulary = vocab
        return super().__call__(
            inputs, return_datasamples=return_datasamples, batch_size=batch_size,
            return_vis=return_vis, opacity=opacity,
            img_out_dir=osp.join(out_dir, 'vis') if out_dir else '',
            pred_out_dir=osp.join(out_dir, 'pred') if out_dir else '')

    def visualize(self, inputs: list, preds: list, return_vis: bool = False,
                  opacity: float = 0.6, img_out_dir: str = '') -> Optional[List[np.ndarray]]:
        if not return_vis and not img_out_dir:
            return None
        names = list(self._call_vocabulary.names)
        pictures = []
        for i, (item, pred) in enumerate(zip(inputs, preds)):
            label_map = pred.pred_sem_seg.data[0].cpu().numpy()
            picture = segmentation_picture(read_rgb(item), label_map, names, opacity)
            if img_out_dir:
                save_image(picture, osp.join(img_out_dir, f'{self._call_names[i]}.png'), 'png')
            pictures.append(picture)
        return pictures if return_vis else None

    def postprocess(self, preds: list, visualization: Optional[List[np.ndarray]],
                    return_datasamples: bool = False, pred_out_dir: str = '') -> dict:
        vocab = self._call_vocabulary
        names = list(vocab.names)
        results = []
        for i, (item, pred) in enumerate(zip(self._call_inputs, preds)):
            label_map = pred.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
            labels, counts = np.unique(label_map, return_counts=True)
            order = np.argsort(-counts, kind='stable')
            present = [dict(label=int(labels[j]), **{'class': names[int(labels[j])]},
                            pixels=int(counts[j]),
                            fraction=float(counts[j]) / label_map.size) for j in order]
            result = dict(sem_seg=label_map, classes=names,
                          masks={p['class']: label_map == p['label'] for p in present},
                          present=present, image=item if isinstance(item, str) else None)
            if pred_out_dir:
                stem = osp.join(pred_out_dir, self._call_names[i])
                bits = np.uint8 if len(names) < 256 else np.uint16
                save_image(label_map.astype(bits), stem + '.png', 'png')
                write_json_atomic(dict(image=result['image'], label_map=stem + '.png',
                                       vocabulary=vocab.to_list(), present=present),
                                  stem + '.json')
            results.append(result)
        if return_datasamples:
            return dict(predictions=preds if len(preds) > 1 else preds[0],
                        visualization=visualization)
        single = len(results) == 1
        vis = visualization
        if vis is not None and single:
            vis = vis[0]
        return dict(predictions=results[0] if single else results,
                    visualization=vis if vis is not None else [])

