"""``SeeCLIPClassifier``: SeeCLIP (semantic-enhanced CLIP) for open-set domain generalisation,
as an mmpretrain model.

A frozen CLIP, a :class:`SeeCLIPPromptLearner` (the only trainable part), ``C + 1`` outputs:
the known classes, then "unknown". Training minimises
:func:`mmopen.osdg.seeclip.losses.seeclip_losses`;
optionally a fraction of every batch is turned into pseudo-unknowns online
(:class:`mmopen.osdg.seeclip.PseudoUnknownGenerator`, labelled ``C``) -- for small runs; large runs
pre-generate them with ``tools/seeclip/generate_pseudo_unknowns.py`` and train on
``OSDGDataset(pseudo_unknowns=...)``. Prediction is the argmax over the ``C + 1`` softmax
probabilities; each prediction carries ``pred_score`` (``C + 1`` probabilities) and
``ood_scores = {'SeeCLIP': 1 - p_unknown}`` (higher = more known), which ``OSDGMetric`` and
``OODMetric`` read, and ``semantic_tokens``, the probe of its tokens
(:func:`mmopen.osdg.seeclip.semantic_tokens.token_diagnostics`: pairwise cosine, attention
entropy), which ``OSDGMetric`` averages into ``osdg/token_cos`` and ``osdg/attention_entropy``.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS

from mmopen.clip import FrozenCLIP
from mmopen.clip.dense import dense_features
from mmopen.clip.preprocess import clip_input_size, clip_normalise
from mmopen.clip.vocabularies import Vocabulary
from mmopen.osdg.benchmarks import load_osdg_benchmark
from mmopen.osdg.seeclip.losses import seeclip_losses
from mmopen.osdg.seeclip.pseudo_unknowns import PseudoUnknownGenerator
from mmopen.osdg.seeclip.semantic_tokens import token_diagnostics
from ..ood.clip_ood_classifier import clip_data_preprocessor
from .seeclip_prompt_learner import SeeCLIPPromptLearner


def resolve_vocabulary(classes: Union[Vocabulary, str, dict, Sequence[str], None],
                        benchmark: Union[str, dict, None]) -> Vocabulary:
    """The known classes as a :class:`~mmopen.clip.Vocabulary` (their display names are the
    prompt names): ``classes`` (a ``Vocabulary``, a vocabulary file or shipped name, or a list
    of names), else the known classes of an OSDG benchmark (a shipped name, a JSON file or a
    dict; :func:`mmopen.osdg.load_osdg_benchmark`)."""
    if classes is not None:
        if isinstance(classes, (Vocabulary, str)):
            return Vocabulary.load(classes)
        return Vocabulary.load([[str(c)] for c in classes])
    if benchmark is None:
        raise ValueError('SeeCLIPClassifier needs the known classes: set `classes` (a list or a '
                         'vocabulary file) or `benchmark` (e.g. "pacs").')
    return Vocabulary.load([[n] for n in load_osdg_benchmark(benchmark).known_prompt_names])


@MODELS.register_module()
class SeeCLIPClassifier(BaseModel):
    """SeeCLIP over a frozen CLIP (see the module docstring).

    Args:
        clip: ``FrozenCLIP`` arguments (an open_clip model with its own text tower and a
            ViT or ConvNeXt image tower, whose patch embeddings give the semantic tokens).
        classes / benchmark: the known classes (see :func:`resolve_vocabulary`).
        num_queries, n_unknown_ctx, unknown_word, init_std, attention, query_init,
            temperature, seed: the prompt learner's (:class:`SeeCLIPPromptLearner`; the
            default attention and query initialisation are the release's).
        margin: repulsion margin ``m`` (0.5).
        loss_weights: ``dict(rep=1.0, coh=0.5, reg=0.01)``.
        pseudo_unknowns: online generation: ``dict(inpaint_model=..., fraction=0.1,
            sigma=0.2, guidance=..., resolution=..., prompt=..., seed=0)``; ``None`` (default)
            for none (or pre-generated ones from the dataset).
    """

    def __init__(self,
                 clip: dict,
                 classes: Union[str, Sequence[str], None] = None,
                 benchmark: Union[str, dict, None] = None,
                 num_queries: int = 4,
                 n_unknown_ctx: int = 4,
                 unknown_word: str = 'unknown',
                 init_std: float = 0.02,
                 attention: str = 'released',
                 query_init: str = 'normal',
                 temperature: float = 0.1,
                 seed: int = 0,
                 margin: float = 0.5,
                 loss_weights: Optional[dict] = None,
                 pseudo_unknowns: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=clip_data_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.clip = FrozenCLIP(**clip)
        self.vocabulary = resolve_vocabulary(classes, benchmark)
        names = list(self.vocabulary.names)
        model = self.clip.model
        self.prompt_learner = SeeCLIPPromptLearner(
            names, self.clip.tokenizer, self.clip.embed_dim,
            model.token_embedding.weight.shape[1], num_queries=num_queries,
            n_unknown_ctx=n_unknown_ctx, unknown_word=unknown_word, init_std=init_std,
            attention=attention, query_init=query_init, temperature=temperature, seed=seed)
        self.num_classes = len(names)
        self.margin = margin
        weights = dict(rep=1.0, coh=0.5, reg=0.01)
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise ValueError(f'Unknown loss weights {sorted(unknown)}; known: {sorted(weights)}.')
        self.loss_weights = dict(weights, **(loss_weights or {}))
        self.pseudo_cfg = dict(pseudo_unknowns) if pseudo_unknowns else None
        if self.pseudo_cfg is not None:
            frac = float(self.pseudo_cfg.get('fraction', 0.1))
            if not 0 < frac <= 1:
                raise ValueError(f'pseudo_unknowns.fraction={frac}: must be in (0, 1].')
        self._pseudo_gen = None
        self._step = 0

    def init_weights(self) -> None:
        # CLIP weights come from their file; the learner is initialised at construction (seeded)
        self._is_init = True

    # ------------------------------------------------------------------ features
    @property
    def class_names(self) -> List[str]:
        return self.prompt_learner.class_names

    def encode(self, inputs: torch.Tensor):
        """Global image features (normalised) and per-patch embeddings, CLIP frozen."""
        with torch.no_grad():
            image = F.normalize(self.clip.encode_image(inputs).float(), dim=-1)
            patches = self.clip.dense_features(inputs).embeddings.float()
        return image, patches

    def logits(self, inputs: torch.Tensor):
        """``logit_scale * cos`` over the ``C + 1`` prompts (``B x (C + 1)``) and the prompts."""
        image, patches = self.encode(inputs)
        prompts = self.prompt_learner(self.clip.model, image, patches)
        scale = self.clip.model.logit_scale.exp().detach().float()
        return scale * torch.einsum('bd,bcd->bc', image, prompts.text), prompts

    def semantic_tokens_of_images(self, images01: torch.Tensor) -> torch.Tensor:
        """Semantic tokens of images in ``[0, 1]`` (resized to the CLIP input size),
        differentiable w.r.t. the images (the pseudo-unknown guidance)."""
        size = clip_input_size(self.clip.model)
        x = images01.float()
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode='bicubic', align_corners=False)
        x = clip_normalise(x)
        dense = dense_features(self.clip.visual, x.to(self.clip.dtype))
        return self.prompt_learner.semantic(dense.embeddings.float()).tokens

    # ------------------------------------------------------------------ modes
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.logits(inputs)[0]
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}.')

    def _pseudo_generator(self):
        if self._pseudo_gen is None:
            cfg = {k: v for k, v in self.pseudo_cfg.items() if k not in ('fraction', 'seed')}
            cfg.setdefault('device', str(next(self.prompt_learner.parameters()).device))
            self._pseudo_gen = PseudoUnknownGenerator(class_names=self.class_names, **cfg)
        return self._pseudo_gen

    def _pseudo_generator_seed(self) -> int:
        """A seed per (training iteration, rank): the runner's iteration (so a resumed run draws
        what an uninterrupted one does), each rank its own batch positions and noise."""
        from mmengine.dist import get_dist_info
        from mmengine.logging import MessageHub
        hub = MessageHub.get_current_instance()
        it = int(hub.get_info('iter', self._step))
        rank = get_dist_info()[0]
        return (int(self.pseudo_cfg.get('seed', 0)) * 1000003 + it) * 1009 + rank

    def add_pseudo_unknowns(self, inputs: torch.Tensor, labels: torch.Tensor,
                            data_samples: List):
        """Turn ``ceil(fraction * B)`` images of the batch (the first ones of a seeded
        permutation) into pseudo-unknowns, appended with label ``C``."""
        import math
        frac = float(self.pseudo_cfg.get('fraction', 0.1))
        n = min(inputs.shape[0], math.ceil(frac * inputs.shape[0]))
        gen = torch.Generator().manual_seed(self._pseudo_generator_seed())
        pick = torch.randperm(inputs.shape[0], generator=gen)[:n]
        # undo the data preprocessor's normalisation (CLIP's mean / std by default; none when
        # the preprocessor does not normalise)
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            mean, std = pre.mean.to(inputs).view(1, 3, 1, 1), pre.std.to(inputs).view(1, 3, 1, 1)
        else:
            mean, std = inputs.new_zeros(1, 3, 1, 1), inputs.new_ones(1, 3, 1, 1)
        images01 = ((inputs[pick] * std + mean) / 255).clamp(0, 1)
        domains = [str(data_samples[int(i)].metainfo.get('domain', 'photo')) for i in pick]
        seeds = torch.randint(0, 2**31 - 1, (n, ), generator=gen).tolist()
        out = self._pseudo_generator()(images01, domains, seeds, self.semantic_tokens_of_images)
        gen_images = out.images.to(inputs.device)
        if gen_images.shape[-2:] != inputs.shape[-2:]:
            gen_images = F.interpolate(gen_images, size=inputs.shape[-2:], mode='bicubic',
                                       align_corners=False).clamp(0, 1)
        new = (gen_images * 255 - mean) / std
        extra = labels.new_full((n, ), self.num_classes)
        return torch.cat([inputs, new.to(inputs.dtype)]), torch.cat([labels, extra])

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        labels = torch.cat([ds.gt_label for ds in data_samples]).to(inputs.device)
        if int(labels.max()) > self.num_classes or int(labels.min()) < 0:
            raise ValueError(f'Labels must be in [0, {self.num_classes}] ({self.num_classes} = '
                             f'unknown); got {labels.tolist()}.')
        if self.pseudo_cfg is not None:
            inputs, labels = self.add_pseudo_unknowns(inputs, labels, data_samples)
        self._step += 1
        logits, prompts = self.logits(inputs)
        w = self.loss_weights
        losses = seeclip_losses(logits, prompts.text, labels, self.prompt_learner.psi_weights(),
                                margin=self.margin, w_rep=w['rep'], w_coh=w['coh'],
                                w_reg=w['reg'])
        with torch.no_grad():
            losses['acc'] = (logits.argmax(1) == labels).float().mean() * 100
        return losses

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        from mmpretrain.structures import DataSample
        logits, prompts = self.logits(inputs)
        probs = torch.softmax(logits, dim=1)
        labels = probs.argmax(dim=1)
        probe = token_diagnostics(prompts.semantic)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        for i, ds in enumerate(data_samples):
            ds.set_pred_score(probs[i]).set_pred_label(labels[i])
            ds.set_field({'SeeCLIP': float(1 - probs[i, -1])}, 'ood_scores',
                         field_type='metainfo')
            ds.set_field({k: float(v[i]) for k, v in probe.items()}, 'semantic_tokens',
                         field_type='metainfo')
        return data_samples
