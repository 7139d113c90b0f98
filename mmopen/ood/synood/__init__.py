"""SynOOD: near-boundary OOD synthesis by energy-guided inpainting, and what feeds the
two-stage fine-tuning (``mmopen.models.ood.SynOODClassifier``, ``mmopen.datasets.SynOODDataset``,
``mmopen.datasets.SynOODTransform``).

* :mod:`.classifiers` -- the guidance classifier (CLIP zero-shot or any mmpretrain model);
* :mod:`.context` -- context prompts (CLIP-ranked vocabulary, or precomputed captions);
* :mod:`.seeds` -- ID seeds by JPEG bytes per pixel; :mod:`.mining` -- negative-label mining;
* :mod:`.generator` -- all of the above for a batch;
* :mod:`.manifest` -- a data set's records and manifest (``tools/synood/generate.py`` writes it
  with the sharded writer, :mod:`mmopen.utils.sharded_writer`);
* :mod:`.release_captions` -- the release's caption file, converted.

The guided sampler, the model loading and eq. (7)'s losses are shared with SeeCLIP and live in
:mod:`mmopen.diffusion`.
"""
from .classifiers import CLIPLogits, MMPretrainLogits, build_guidance_classifier
from .context import CaptionContext, VocabularyContext, build_context_provider, format_prompt
from .generator import SynOODGenerator, SynOODSample
from .manifest import read_manifest, synood_record
from .mining import NegativeLabelMiner
from .seeds import bytes_per_pixel, read_image_list, select_seeds

__all__ = [
    'CLIPLogits', 'MMPretrainLogits', 'build_guidance_classifier', 'CaptionContext',
    'VocabularyContext', 'build_context_provider', 'format_prompt', 'SynOODGenerator',
    'SynOODSample', 'NegativeLabelMiner', 'bytes_per_pixel', 'read_image_list', 'select_seeds',
    'read_manifest', 'synood_record'
]
