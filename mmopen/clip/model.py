"""``FrozenCLIP``: the one CLIP object every mmopen component uses."""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from .build import build_open_clip
from .constants import CLIP_MEAN, CLIP_STD  # noqa: F401  (re-exported)
from .dense import DenseFeatures, dense_features, level_channels, pooled_to_embedding
from .local import global_and_local
from .templates import resolve_templates
from .text import embedding_key, ensemble_embeddings, load_cached, resolve_cache_dir, store_cached
from .vocabularies import load_vocabulary
from .weights import file_digest, state_dict_digest


class FrozenCLIP(nn.Module):
    """An open_clip model built by name with weights from a local file, frozen by default.

    Args:
        model_name: open_clip model name (``'ViT-B-16'``, ``'convnext_base_w'``,
            ``'convnext_large_d_320'``, ``'mmopen-tiny-convnext'``, ...).
        weights: local weight file (open_clip ``.bin``/``.safetensors``, OpenAI ``.pt``);
            ``None`` keeps random weights (tests only).
        precision: ``'fp32'`` (default), ``'fp16'`` or ``'bf16'``.
        frozen: no parameter requires gradients and the model stays in eval mode (default).
        quick_gelu: see :func:`mmopen.clip.build.build_open_clip`.
        cache_dir: where text embeddings are persisted; ``None`` uses ``$MMOPEN_CACHE_DIR`` or
            ``~/.cache/mmopen``; ``False`` disables the disk cache.
        text_only: drop the image tower after loading (a text encoder for heads whose image
            features come from elsewhere).
    """

    def __init__(self,
                 model_name: str,
                 weights: Optional[str] = None,
                 precision: str = 'fp32',
                 frozen: bool = True,
                 quick_gelu: Optional[bool] = None,
                 cache_dir: Union[None, bool, str] = None,
                 text_only: bool = False):
        super().__init__()
        import open_clip
        self.model_name = model_name
        self.weights = weights
        self.frozen = frozen
        self.precision = precision
        self.cache_dir = resolve_cache_dir(cache_dir)
        self.model, self.info = build_open_clip(
            model_name, weights, precision=precision, quick_gelu=quick_gelu)
        self.text_only = text_only
        if text_only:
            del self.model.visual
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self._weights_digest: Optional[str] = None
        if frozen:
            self.model.requires_grad_(False)
            self.model.eval()

    def train(self, mode: bool = True) -> 'FrozenCLIP':
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    # ------------------------------------------------------------------ properties
    @property
    def visual(self) -> nn.Module:
        if self.text_only:
            raise RuntimeError(f'This FrozenCLIP ({self.model_name}) was built text_only: it has '
                               'no image tower.')
        return self.model.visual

    @property
    def embed_dim(self) -> int:
        return int(self.model.text_projection.shape[-1]) if isinstance(
            self.model.text_projection, torch.Tensor) else int(
                self.model.text_projection.out_features)

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @property
    def level_channels(self):
        return level_channels(self.visual)

    @property
    def weights_digest(self) -> str:
        """SHA-256 of the weight file, or of the parameters when built without one."""
        if self._weights_digest is None:
            if self.weights is not None:
                self._weights_digest = file_digest(self.weights)
            else:
                self._weights_digest = 'params:' + state_dict_digest(self.model.state_dict())
        return self._weights_digest

    # ------------------------------------------------------------------ image side
    def _grad_ctx(self):
        return torch.no_grad() if self.frozen else torch.enable_grad()

    def encode_image(self, images: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """Global image embeddings (``B x D``)."""
        with self._grad_ctx():
            return self.model.encode_image(images.to(self.dtype), normalize=normalize)

    def dense_features(self, images: torch.Tensor,
                       out_indices: Optional[Sequence[int]] = None) -> DenseFeatures:
        """Multi-scale features and the per-position CLIP embedding map (see
        :func:`mmopen.clip.dense.dense_features`)."""
        with self._grad_ctx():
            return dense_features(self.visual, images.to(self.dtype), out_indices)

    def global_and_local(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Global (``B x D``) and per-patch (``B x P x D``) embeddings from one pass, unnormalised
        (GL-MCM's local features; see :mod:`mmopen.clip.local`)."""
        with self._grad_ctx():
            return global_and_local(self.visual, images.to(self.dtype))

    def pooled_to_embedding(self, pooled: torch.Tensor) -> torch.Tensor:
        """Features pooled from the last level -> CLIP embedding space."""
        with self._grad_ctx():
            return pooled_to_embedding(self.visual, pooled.to(self.dtype))

    # ------------------------------------------------------------------ text side
    def encode_text(self, texts: Sequence[str], normalize: bool = True) -> torch.Tensor:
        """Embeddings of raw strings (``N x D``)."""
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(list(texts)).to(device)
        with self._grad_ctx():
            return self.model.encode_text(tokens, normalize=normalize)

    def text_embeddings(self,
                        vocabulary: Union[str, Sequence],
                        templates: Union[str, Sequence[str]] = 'vild') -> torch.Tensor:
        """L2-normalised class embeddings (``C x D``, float32, on CPU) of a vocabulary (a shipped
        name, a file, or a list of classes), prompt-ensembled over ``templates`` and synonyms;
        encoded once per process and cached on disk (see :mod:`mmopen.clip.text`)."""
        vocab = load_vocabulary(vocabulary)
        temps = resolve_templates(templates)
        key = embedding_key(self.model_name, self.weights_digest, temps, vocab)
        emb = load_cached(key, self.cache_dir)
        if emb is None:
            self.check_distinct_prompts(vocab, temps[0])
            was_training = self.model.training
            self.model.eval()
            emb = ensemble_embeddings(lambda t: self.encode_text(t, normalize=False), vocab,
                                      temps).cpu()
            self.model.train(was_training)
            store_cached(key, emb, self.cache_dir)
        return emb.clone()

    def check_distinct_prompts(self, vocabulary, template: str = '{}') -> None:
        """Refuse two classes whose prompts tokenise alike -- a name cut at the text tower's
        context (77 tokens for CLIP) that differs from another only after the cut gets the
        same embedding, and its class can never be predicted. A class's prompts are its
        synonyms in ``template``; two classes collide when their sets of tokenised prompts are
        equal (a shared synonym alone does not make the ensembles equal). Repeats a shipped list
        keeps on purpose (``Vocabulary.allowed``) pass. The error names both classes."""
        def short(name):
            return repr(name[:60]) + ('...' if len(name) > 60 else '')

        vocab = load_vocabulary(vocabulary)
        items = [(c, n) for c, names in enumerate(vocab) for n in names]
        rows = []
        for start in range(0, len(items), 4096):
            chunk = items[start:start + 4096]
            rows += self.tokenizer([template.format(n) for _, n in chunk]).tolist()
        per_class = {}
        for (c, _), row in zip(items, rows):
            per_class.setdefault(c, set()).add(tuple(row))
        allowed = {tuple(p) for p in getattr(vocab, 'allowed', ())}
        seen = {}
        for c, prompts in per_class.items():
            other = seen.setdefault(frozenset(prompts), c)
            if other != c and (other, c) not in allowed:
                full = any(row[-1] != 0 for row in prompts)
                why = ('their names fill the text tower\'s context and are cut to the same '
                       'prompts' if full else 'they tokenise alike')
                raise ValueError(f'Classes {other} ({short(vocab[other][0])}) and {c} '
                                 f'({short(vocab[c][0])}) get the same text embedding: {why}. '
                                 'Shorten or reword one of them.')

    @staticmethod
    def cached_text_embeddings(model_name: str, weights: Optional[str],
                               vocabulary: Union[str, Sequence],
                               templates: Union[str, Sequence[str]] = 'vild',
                               cache_dir: Union[None, bool, str] = None
                               ) -> Optional[torch.Tensor]:
        """What :meth:`text_embeddings` would return, looked up in the cache without building
        the model (the key needs only the model name and the weight file's digest); ``None``
        on a miss, or when there is no weight file to key on."""
        if weights is None:
            return None
        key = embedding_key(model_name, file_digest(osp.expanduser(str(weights))),
                            resolve_templates(templates), load_vocabulary(vocabulary))
        emb = load_cached(key, resolve_cache_dir(cache_dir))
        return None if emb is None else emb.clone()

    def logit_scale(self) -> torch.Tensor:
        return self.model.logit_scale.exp()

    def similarity(self, image_emb: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
        """Cosine similarity (``... x C``) of (unnormalised) image and text embeddings."""
        return F.normalize(image_emb.float(), dim=-1) @ F.normalize(text_emb.float(), dim=-1).T
