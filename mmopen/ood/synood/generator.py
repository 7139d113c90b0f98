"""The SynOOD generator: seed image -> context prompt -> guided inpainting -> mined negative
label. Shared by :class:`mmopen.datasets.SynOODTransform` (online, in a pipeline) and
``tools/synood/generate.py`` (offline, a whole data set)."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmopen.clip import FrozenCLIP
from mmopen.clip.vocabularies import load_vocabulary
from mmopen.diffusion.images import check_fit, from_uint8, to_uint8
from mmopen.diffusion.inpainting import GuidanceSettings, GuidedInpainter
from mmopen.diffusion.loading import load_inpaint_model
from .classifiers import CLIPLogits, build_guidance_classifier
from .context import DEFAULT_TEMPLATE, build_context_provider, format_prompt
from .mining import NegativeLabelMiner


class SynOODSample(NamedTuple):
    image: np.ndarray    # RGB uint8, resolution x resolution
    neg_index: int       # into the negative labels (nouns, then adjectives)
    neg_label: str
    context: str
    prompt: str
    seed: int
    losses: List[float]  # the OOD loss after 0 .. outer_iters noise updates


class SynOODGenerator:
    """Everything SynOOD needs to turn ID images into labelled near-boundary OOD images.

    Args:
        inpaint_model: local SD-2-inpainting-compatible folder.
        clip: ``FrozenCLIP`` arguments of the OOD detector's CLIP (mines the labels; the
            default context provider ranks words with it too).
        neg_labels: that detector's negative-label file.
        vocabulary: the ID classes (names and synonyms, label order): excluded from contexts.
        classifier: the guidance classifier (:func:`build_guidance_classifier`); default the
            zero-shot ``clip`` over ``vocabulary``.
        context: context provider config (default: rank ``neg_labels`` with ``clip``).
        template: the context prompt template.
        guidance: :class:`GuidanceSettings` overrides (paper defaults otherwise).
        resolution: square size the seeds are made (SD-2: 512).
        seed_fit: how a seed becomes square: ``'crop'`` (centre crop, then resize; keeps the
            aspect ratio) or ``'squash'`` (resize to a square, as the SynOOD release loads its
            seeds; :func:`mmopen.diffusion.images.from_uint8`).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` (default: CUDA when available).
        fp16: half precision for the diffusion components (CUDA only).
    """

    def __init__(self,
                 inpaint_model: str,
                 clip: dict,
                 neg_labels: str,
                 vocabulary: Union[str, Sequence],
                 classifier: Optional[dict] = None,
                 context: Optional[dict] = None,
                 template: str = DEFAULT_TEMPLATE,
                 guidance: Optional[dict] = None,
                 resolution: int = 512,
                 device: Optional[str] = None,
                 fp16: bool = False,
                 seed_fit: str = 'crop'):
        device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        format_prompt(template, '')  # validate early
        self.seed_fit = check_fit(seed_fit)  # before the models load
        self.settings = GuidanceSettings.from_dict(guidance)
        self.model = load_inpaint_model(inpaint_model, device=device, fp16=fp16)
        self.inpainter = GuidedInpainter(self.model, self.settings)
        self.latent_hw = self.inpainter.latent_shape(1, resolution, resolution)[2:]
        self.synonyms = load_vocabulary(vocabulary)
        self.template = template
        self.resolution = resolution
        self.device = device
        shared = FrozenCLIP(**clip).to(device)
        self.miner = NegativeLabelMiner(shared, neg_labels)
        if classifier is None:
            classifier = dict(type='clip', clip=clip, vocabulary=vocabulary)
        cls_cfg = dict(classifier)
        if cls_cfg.get('type') == 'clip' and cls_cfg.get('clip') == clip:
            self.classifier = CLIPLogits(shared, cls_cfg.get('vocabulary', vocabulary),
                                         cls_cfg.get('templates', ('the nice {}', )))
        else:
            self.classifier = build_guidance_classifier(cls_cfg)
        self.classifier.to(device)
        if getattr(self.classifier, 'num_classes', None) not in (None, len(self.synonyms)):
            raise ValueError(f'The guidance classifier has {self.classifier.num_classes} classes '
                             f'but the ID vocabulary {len(self.synonyms)}: give the classifier '
                             'of these ID classes.')
        ctx = dict(type='vocabulary', vocabulary=neg_labels) if context is None else context
        if isinstance(ctx, dict) and ctx.get('type', 'vocabulary') == 'vocabulary' \
                and ctx.get('clip') in (None, clip):
            ctx = dict(ctx, clip=shared)
        self.context = build_context_provider(ctx)

    @property
    def neg_words(self) -> List[str]:
        return self.miner.words

    def draws(self, seed: int) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """An image's random draws from its seed, in the release's order from one generator:
        the VAE sample's standard normal draw (``latent='sample'``; else ``None``), then the
        diffusion noise."""
        gen = torch.Generator().manual_seed(int(seed))
        shape = (1, self.model.vae.config.latent_channels, *self.latent_hw)
        latent = torch.randn(shape, generator=gen) if self.settings.latent == 'sample' else None
        return latent, torch.randn(shape, generator=gen)

    def generate(self, images: Sequence[np.ndarray], paths: Sequence[str],
                 labels: Sequence[int], seeds: Sequence[int]) -> List[SynOODSample]:
        """Near-boundary OOD counterparts of ``images`` (RGB ``uint8``) of ID classes
        ``labels``, from per-image ``seeds``."""
        for label in labels:
            if not 0 <= int(label) < len(self.synonyms):
                raise ValueError(f'ID label {label} is outside the {len(self.synonyms)}-class '
                                 'vocabulary.')
        contexts = self.context(images, paths, [self.synonyms[int(lb)] for lb in labels])
        prompts = [format_prompt(self.template, c) for c in contexts]
        x = from_uint8(images, self.resolution, self.seed_fit)
        latents, noises = zip(*(self.draws(s) for s in seeds))
        latent = torch.cat(latents) if self.settings.latent == 'sample' else None
        result = self.inpainter(x, prompts, torch.cat(noises), self.classifier, latent)
        mined = self.miner(result.images)
        out = []
        for i, img in enumerate(to_uint8(result.images)):
            idx = int(mined[i])
            out.append(SynOODSample(img, idx, self.neg_words[idx], contexts[i], prompts[i],
                                    int(seeds[i]), [float(v) for v in result.losses[:, i]]))
        return out

    def describe(self) -> Dict[str, object]:
        return dict(inpaint_model=self.model.path, resolution=self.resolution,
                    seed_fit=self.seed_fit,
                    template=self.template, guidance=self.settings.to_dict())

