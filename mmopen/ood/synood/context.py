"""Context prompts for SynOOD (eq. 3): a description of everything in an image except its main
object, fed to the inpainting model through a template ("A photo only remain {}.").

The paper asks an MLLM (LLaVA). Two built-in providers, chosen by ``type``:

* ``'vocabulary'`` (the offline default) -- rank a vocabulary (the mined negative labels, or any
  word list / shipped vocabulary) against the image with CLIP and keep the ``top_k`` best words,
  excluding the image's class name and its synonyms (and words that contain or are contained in
  them, so "shark" is not the context of "great white shark");
* ``'captions'`` -- precomputed captions, one JSON object per line
  (``{"image": "<path>", "caption": "<text>"}``), e.g. written by an MLLM offline. Paths are
  matched as written, relative to ``data_root`` when one is given.

A provider is called with the seed images (RGB ``uint8``), their paths and their ID class names
(synonym lists) and returns one context string per image; :func:`format_prompt` applies the
template.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from mmopen.clip import FrozenCLIP
from mmopen.clip.preprocess import clip_input_size, clip_normalise
from mmopen.clip.vocabularies import class_names
from mmopen.diffusion.images import from_uint8
from mmopen.ood.neg_labels import read_neg_labels

DEFAULT_TEMPLATE = 'A photo only remain {}.'


class MissingCaptionError(LookupError):
    """A seed image has no line in the caption file."""


def format_prompt(template: str, context: str) -> str:
    if '{}' not in template:
        raise ValueError(f'Context prompt template {template!r} has no "{{}}" for the context.')
    return template.format(context)


def _excluded(word: str, names: Sequence[str]) -> bool:
    w = word.lower().strip()
    for name in names:
        n = name.lower().strip()
        if w == n or (len(w) > 2 and (f' {w} ' in f' {n} ' or f' {n} ' in f' {w} ')):
            return True
    return False


class VocabularyContext:
    """Rank ``vocabulary`` against each image with CLIP; the ``top_k`` best words that are not
    the image's class (or a synonym) form its context, best first, joined by ", ".

    Args:
        clip: ``FrozenCLIP`` arguments, or a built ``FrozenCLIP``.
        vocabulary: a negative-label file (``tools/ood/mine_neg_labels.py``), a shipped
            vocabulary name, a one-word-per-line file, or a list of words.
        templates: prompt templates for the words' text embeddings.
        top_k: words per context.
    """

    def __init__(self, clip, vocabulary: Union[str, Sequence[str]],
                 templates: Union[str, Sequence[str]] = ('a photo of a {}.', ), top_k: int = 3):
        self.clip = clip if isinstance(clip, FrozenCLIP) else FrozenCLIP(**clip)
        self.words = self._read_words(vocabulary)
        if not self.words:
            raise ValueError(f'Context vocabulary {vocabulary!r} is empty.')
        if top_k < 1:
            raise ValueError(f'top_k={top_k}: must be >= 1.')
        self.top_k = top_k
        self.text = self.clip.text_embeddings([[w] for w in self.words], templates)
        self.input_size = clip_input_size(self.clip)

    @staticmethod
    def _read_words(vocabulary) -> List[str]:
        if isinstance(vocabulary, str):
            if osp.isfile(vocabulary):
                try:
                    labels = read_neg_labels(vocabulary)
                    return (list(labels.nouns) + list(labels.adjectives) +
                            list(labels.conjugated))
                except ValueError:
                    pass
            return class_names(vocabulary)
        return [str(w) for w in vocabulary]

    @torch.no_grad()
    def image_embeddings(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        x = clip_normalise(from_uint8(images, self.input_size))
        device = next(self.clip.parameters()).device
        return F.normalize(self.clip.encode_image(x.to(device)).float(), dim=-1).cpu()

    def __call__(self, images: Sequence[np.ndarray], paths: Sequence[str],
                 class_synonyms: Sequence[Sequence[str]]) -> List[str]:
        sims = self.image_embeddings(images) @ self.text.T
        out = []
        for row, names in zip(sims, class_synonyms):
            picked = []
            for idx in torch.argsort(row, descending=True).tolist():
                if not _excluded(self.words[idx], names):
                    picked.append(self.words[idx])
                    if len(picked) == self.top_k:
                        break
            if not picked:
                raise ValueError(f'Every context word is excluded for class {list(names)}.')
            out.append(', '.join(picked))
        return out


class CaptionContext:
    """Precomputed captions from a JSON-lines file (``{"image": ..., "caption": ...}``)."""

    def __init__(self, file: str, data_root: Optional[str] = None):
        if not osp.isfile(file):
            raise FileNotFoundError(f'Caption file {file!r} not found (JSON lines: '
                                    '{"image": "<path>", "caption": "<text>"}).')
        self.file = file
        self.data_root = data_root
        self.captions: Dict[str, str] = {}
        with open(file, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    self.captions[self._key(rec['image'])] = str(rec['caption'])
                except (ValueError, KeyError, TypeError) as err:
                    raise ValueError(f'{file}:{n}: expected {{"image": ..., "caption": ...}}, '
                                     f'got {line.strip()[:80]!r} ({err}).') from err

    def _key(self, path: str) -> str:
        if self.data_root and not osp.isabs(path):
            path = osp.join(self.data_root, path)
        return osp.normpath(path)

    def __call__(self, images, paths: Sequence[str], class_synonyms) -> List[str]:
        out = []
        for path in paths:
            key = self._key(path)
            if key not in self.captions:
                raise MissingCaptionError(
                    f'Caption file {self.file!r} has no caption for image {path!r} (looked up '
                    f'as {key!r}); add a line {{"image": "{path}", "caption": ...}} or use the '
                    'vocabulary context provider.')
            out.append(self.captions[key])
        return out


def build_context_provider(cfg: Union[dict, object], clip=None):
    """``dict(type='vocabulary', vocabulary=..., top_k=3)`` (``clip`` defaults to the given
    one) or ``dict(type='captions', file=..., data_root=None)``."""
    if callable(cfg) and not isinstance(cfg, dict):
        return cfg
    cfg = dict(cfg)
    kind = cfg.pop('type', 'vocabulary')
    if kind == 'vocabulary':
        cfg.setdefault('clip', clip)
        if cfg['clip'] is None:
            raise ValueError('The vocabulary context provider needs a CLIP (`clip=dict(...)`).')
        return VocabularyContext(**cfg)
    if kind == 'captions':
        return CaptionContext(**cfg)
    raise ValueError(f"Context provider type {kind!r}: 'vocabulary' or 'captions'.")
