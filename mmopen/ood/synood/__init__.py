"""SynOOD: near-boundary OOD synthesis by energy-guided inpainting, and what feeds the
two-stage fine-tuning (``mmopen.models.ood.SynOODClassifier``, ``SynOODDataset``).

* :mod:`.losses` -- eq. (7) and the released loop's variant;
* :mod:`.inpainting` -- loading a local SD-2-inpainting folder, the guided sampler (eqs. 4-10);
* :mod:`.classifiers` -- the guidance classifier (CLIP zero-shot or any mmpretrain model);
* :mod:`.context` -- context prompts (CLIP-ranked vocabulary, or precomputed captions);
* :mod:`.seeds` -- ID seeds by JPEG bytes per pixel; :mod:`.mining` -- negative-label mining;
* :mod:`.generator` -- all of the above for a batch; :mod:`.transform` -- ``SynOODTransform``;
* :mod:`.dataset_writer` -- the sharded, resumable data-set generation behind
  ``tools/synood/generate.py`` and its manifest.
"""
from .classifiers import CLIPLogits, MMPretrainLogits, build_guidance_classifier
from .context import CaptionContext, VocabularyContext, build_context_provider, format_prompt
from .dataset_writer import read_manifest
from .generator import SynOODGenerator, SynOODSample, sample_seed
from .inpainting import (GuidanceSettings, GuidedInpainter, InpaintModel, InpaintResult,
                         load_inpaint_model)
from .losses import energy_loss, get_ood_loss, squared_score_loss
from .mining import NegativeLabelMiner
from .seeds import Seed, bytes_per_pixel, read_image_list, select_seeds
from .transform import SynOODTransform

__all__ = [
    'CLIPLogits', 'MMPretrainLogits', 'build_guidance_classifier', 'CaptionContext',
    'VocabularyContext', 'build_context_provider', 'format_prompt', 'SynOODGenerator',
    'SynOODSample', 'sample_seed', 'GuidanceSettings', 'GuidedInpainter', 'InpaintModel',
    'InpaintResult', 'load_inpaint_model', 'energy_loss', 'get_ood_loss', 'squared_score_loss',
    'NegativeLabelMiner', 'Seed', 'bytes_per_pixel', 'read_image_list', 'select_seeds',
    'SynOODTransform', 'read_manifest'
]
