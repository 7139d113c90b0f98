"""``mmopen.clip``: the one place that knows CLIP.

* :class:`FrozenCLIP` / :func:`build_open_clip` -- a model by open_clip name, weights from a
  local file (open_clip ``.bin``/``.safetensors``, OpenAI ``.pt``), frozen, fp32/fp16;
* :mod:`.dense` -- multi-scale and per-pixel CLIP-space features of ConvNeXt and ViT towers;
* :mod:`.text` -- template-ensembled, synonym-averaged, cached text embeddings;
* :class:`Vocabulary` -- a class vocabulary parsed once (:mod:`.vocabularies`: shipped lists);
* :class:`TextClassifier` -- one model's text side: vocabularies, class banks, seen mask;
* :mod:`.templates` -- prompt sets; :mod:`.preprocess` -- CLIP's input normalisation and size;
* :mod:`.tiny` -- tiny registered architectures for tests and the quickstart.
"""
from .build import build_open_clip, load_clip_weights
from .dense import DenseFeatures, dense_features, pooled_to_embedding, tower_type
from .model import CLIP_MEAN, CLIP_STD, FrozenCLIP
from .preprocess import clip_input_size, clip_normalise
from .templates import IMAGENET_80, TEMPLATE_SETS, VILD_14, resolve_templates
from .text import default_cache_dir, embedding_key, ensemble_embeddings
from .text_classifier import TextClassifier, text_classifiers
from .tiny import TINY_MODELS, register_tiny_models
from .vocabularies import Vocabulary, class_names, list_vocabularies, load_vocabulary
from .weights import CLIPWeightsError, read_state_dict

__all__ = [
    'FrozenCLIP', 'build_open_clip', 'load_clip_weights', 'DenseFeatures', 'dense_features',
    'pooled_to_embedding', 'tower_type', 'CLIP_MEAN', 'CLIP_STD', 'IMAGENET_80', 'VILD_14',
    'TEMPLATE_SETS', 'resolve_templates', 'default_cache_dir', 'embedding_key',
    'ensemble_embeddings', 'TINY_MODELS', 'register_tiny_models', 'class_names',
    'list_vocabularies', 'load_vocabulary', 'CLIPWeightsError', 'read_state_dict',
    'clip_input_size', 'clip_normalise', 'TextClassifier', 'text_classifiers', 'Vocabulary'
]
