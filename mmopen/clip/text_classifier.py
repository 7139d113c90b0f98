"""``TextClassifier``: the text side of one model over a shared CLIP.

A model that classifies against CLIP text embeddings (``OVSNetHead``, ``CLIPOODClassifier``,
``EBMPromptClassifier``) owns one of these. It holds:

* the training vocabulary and the evaluation vocabulary (:class:`~.vocabularies.Vocabulary`
  values, parsed once where a config or a dataset hands them over);
* their class banks: ``C x D`` L2-normalised embeddings,
  ``e_c = normalise(mean_{s,t} normalise(E_text(t(n_s))))`` over synonyms ``n_s`` and templates
  ``t`` (:func:`mmopen.clip.text.ensemble_embeddings`), memoised per vocabulary digest here and
  cached on disk by :mod:`mmopen.clip.text` across processes;
* the evaluation classes' seen mask (which of them are training classes).

The CLIP is shared (:meth:`share_clip`: the backbone's or the model's ``FrozenCLIP``) and never a
submodule, so it is neither in this module's parameters nor in checkpoints. Without a shared CLIP
a text-only tower of ``text_encoder`` is built, and only when the embedding cache misses.

The banks are non-persistent buffers: ``.to(device)`` / ``.cuda()`` move them with the model,
and a checkpoint does not carry them (they are recomputed from the vocabulary and the CLIP).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from .model import FrozenCLIP
from .vocabularies import Vocabulary, VocabularyLike


def _show(vocab: Vocabulary) -> list:
    return [', '.join(names) for names in vocab[:8]] + (['...'] if len(vocab) > 8 else [])


class TextClassifier(nn.Module):
    """Class banks of a training and an evaluation vocabulary over one CLIP's text tower.

    Args:
        vocabulary: the training classes (a ``Vocabulary``, shipped name, file or list).
        text_encoder: ``dict(model_name=..., weights=..., cache_dir=...)`` of the CLIP, used to
            check a shared CLIP and to build a text-only tower when none is shared.
        templates: prompt templates (a set name such as ``'vild'`` or a list).
        test_vocabulary: evaluation classes fixed by the config; ``None`` (default) lets
            :meth:`set_test_vocabulary` (the dataset's classes) choose them, and the training
            classes are evaluated until then.
    """

    def __init__(self,
                 vocabulary: VocabularyLike,
                 text_encoder: dict,
                 templates: Union[str, Sequence[str]] = 'vild',
                 test_vocabulary: Optional[VocabularyLike] = None):
        super().__init__()
        if not isinstance(text_encoder, dict) or 'model_name' not in text_encoder:
            raise ValueError('TextClassifier needs text_encoder=dict(model_name=..., '
                             'weights=...): the CLIP whose text tower embeds the classes (got '
                             f'{text_encoder!r}).')
        self.text_encoder_cfg = dict(text_encoder)
        self.templates = templates
        self.train_vocabulary = Vocabulary.load(vocabulary)
        self.fixed_test_vocabulary = test_vocabulary is not None
        self.test_vocabulary = (Vocabulary.load(test_vocabulary)
                                if test_vocabulary is not None else self.train_vocabulary)
        self._memo: Dict[str, Tensor] = {}  # digest -> C x D (CPU)
        object.__setattr__(self, '_clip', None)
        self.register_buffer('train_bank', None, persistent=False)
        self.register_buffer('test_bank', None, persistent=False)
        self.register_buffer('test_seen', None, persistent=False)

    # ------------------------------------------------------------------ the CLIP
    def share_clip(self, clip: FrozenCLIP) -> None:
        """Encode with ``clip`` (owned elsewhere: not a submodule). It must be the CLIP of
        ``text_encoder`` (same model name and weight file): banks and image features have to
        come from one CLIP."""
        cfg = self.text_encoder_cfg

        def norm(path):
            return None if path is None else osp.realpath(osp.expanduser(str(path)))

        if clip.model_name != cfg['model_name'] or norm(clip.weights) != norm(cfg.get('weights')):
            raise ValueError(
                f"text_encoder ({cfg['model_name']}, {cfg.get('weights')!r}) is not the shared "
                f'CLIP ({clip.model_name}, {clip.weights!r}): text embeddings and image '
                'features must come from one CLIP. Set text_encoder to the backbone\'s '
                'model_name and weights.')
        object.__setattr__(self, '_clip', clip)

    @property
    def clip(self) -> Optional[FrozenCLIP]:
        """The shared CLIP, or ``None``."""
        return self._clip

    def _encoder(self) -> FrozenCLIP:
        if self._clip is None:  # no shared CLIP: a text-only tower, not registered
            object.__setattr__(self, '_clip', FrozenCLIP(**self.text_encoder_cfg,
                                                         text_only=True))
        return self._clip

    # ------------------------------------------------------------------ banks
    def embeddings(self, vocabulary: VocabularyLike) -> Tensor:
        """``C x D`` normalised embeddings of ``vocabulary`` (CPU, float32); a text tower runs
        only on a miss of both this module's memo and the disk cache."""
        vocab = Vocabulary.load(vocabulary)
        if vocab.digest not in self._memo:
            emb = None
            if self._clip is None:  # the disk cache may spare building a text tower
                cfg = self.text_encoder_cfg
                emb = FrozenCLIP.cached_text_embeddings(cfg['model_name'], cfg.get('weights'),
                                                        vocab, self.templates,
                                                        cfg.get('cache_dir'))
            if emb is None:
                emb = self._encoder().text_embeddings(vocab, self.templates)
            self._memo[vocab.digest] = emb.float().cpu()
        return self._memo[vocab.digest]

    def _device(self) -> torch.device:
        for t in (self.train_bank, self.test_bank):
            if t is not None:
                return t.device
        return getattr(self, '_target_device', torch.device('cpu'))

    def _apply(self, fn, *args, **kwargs):
        # remember where .to() / .cuda() moved the module, for banks built later
        probe = fn(torch.empty(0))
        object.__setattr__(self, '_target_device', probe.device)
        return super()._apply(fn, *args, **kwargs)

    def bank(self, training: bool) -> Tensor:
        """The training bank (``training``) or the evaluation bank, on this module's device."""
        if training:
            if self.train_bank is None:
                self.train_bank = self.embeddings(self.train_vocabulary).to(self._device())
            return self.train_bank
        if self.test_bank is None:
            self._encode_test()
        return self.test_bank

    def vocabulary(self, training: bool) -> Vocabulary:
        return self.train_vocabulary if training else self.test_vocabulary

    def _encode_test(self) -> None:
        device = self._device()
        self.test_bank = self.embeddings(self.test_vocabulary).to(device)
        self.test_seen = torch.tensor(self.test_vocabulary.seen(self.train_vocabulary),
                                      device=device)

    def seen(self) -> Tensor:
        """Which evaluation classes are training classes (``C`` booleans)."""
        if self.test_seen is None:
            self._encode_test()
        return self.test_seen

    # ------------------------------------------------------------------ vocabularies
    def check_train_vocabulary(self, vocabulary: VocabularyLike) -> None:
        """Raise unless ``vocabulary`` (the training dataset's classes) is the training
        vocabulary, class by class in the same order (the labels index it)."""
        data = Vocabulary.load(vocabulary)
        if data != self.train_vocabulary:
            raise ValueError(
                'The training dataset\'s classes and the model\'s training vocabulary differ: '
                f'dataset ({len(data)} classes, {data.source}) {_show(data)} vs the model\'s '
                f'({len(self.train_vocabulary)} classes, {self.train_vocabulary.source}) '
                f'{_show(self.train_vocabulary)}. The labels index the model\'s vocabulary: '
                'point both at the same vocabulary.')

    def set_test_vocabulary(self, vocabulary: VocabularyLike,
                            override_config: bool = False) -> Vocabulary:
        """Evaluate over ``vocabulary`` (encoded once); a ``test_vocabulary`` fixed in the
        config is kept unless ``override_config``. Returns the evaluation vocabulary."""
        if self.fixed_test_vocabulary and not override_config:
            return self.test_vocabulary
        vocab = Vocabulary.load(vocabulary)
        if vocab != self.test_vocabulary or self.test_bank is None:
            self.test_vocabulary = vocab
            self._encode_test()
        return vocab

    def extra_repr(self) -> str:
        return (f'train={len(self.train_vocabulary)} classes, '
                f'test={len(self.test_vocabulary)} classes, '
                f"clip={self.text_encoder_cfg['model_name']}")


def text_classifiers(model: nn.Module) -> List[TextClassifier]:
    """The :class:`TextClassifier` modules of ``model`` (a wrapper's ``modules()`` include
    the wrapped model's)."""
    return [m for m in model.modules() if isinstance(m, TextClassifier)]
