"""ΔEnergy's EBM fine-tuning: CoOp prompt learning with a ΔEnergy lower-bound term."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmopen.clip.prompting import check_supported, context_prompts, encode_text_with_context
from mmopen.ood.ebm import delta_energy_lower_bound
from mmopen.ood.scores import delta_energy
from .clip_ood_classifier import CLIPOODClassifier

EBM_SCORES = (dict(type='MSPScore'), dict(type='MCMScore'), dict(type='EnergyScore'),
              dict(type='DeltaEnergyScore'))


@MODELS.register_module()
class EBMPromptClassifier(CLIPOODClassifier):
    """CoOp prompt learner over a frozen CLIP, trained with cross-entropy plus the EBM term
    (maximise a lower bound of ΔEnergy on ID samples; derivation in :mod:`mmopen.ood.ebm`).

    Only the context vectors ``ctx`` are trainable. ``loss`` returns ``loss_cls`` (CE of
    ``logit_scale * cos``), ``loss_ebm`` (``ebm_weight * -bound``, bound on ``s = cos / tau``)
    and logs the batch's mean ``delta_energy``. Prediction is that of
    :class:`CLIPOODClassifier` with the tuned ID text features (and negative labels if given).

    Args:
        n_ctx: number of context vectors (CoOp: 16); ignored when ``ctx_init`` is given.
        ctx_init: initialise the context from a phrase's token embeddings (e.g.
            ``'a photo of a'``, then ``n_ctx`` = its token count); default random
            ``N(0, ctx_std^2)``.
        tau, ebm_top_c, ebm_crop_value: the ΔEnergy settings the bound is taken for.
        ebm_weight: weight of the EBM term (default 1).
    """

    def __init__(self,
                 clip: dict,
                 vocabulary: Union[str, Sequence] = 'imagenet_1k',
                 n_ctx: int = 16,
                 ctx_init: Optional[str] = None,
                 ctx_std: float = 0.02,
                 tau: float = 0.01,
                 ebm_weight: float = 1.0,
                 ebm_top_c: int = 1,
                 ebm_crop_value: float = 0.0,
                 scores: Sequence = EBM_SCORES,
                 **kwargs):
        self._n_ctx, self._ctx_init, self._ctx_std = n_ctx, ctx_init, ctx_std
        super().__init__(clip=clip, vocabulary=vocabulary, templates=('{}', ), scores=scores,
                         **kwargs)
        self.tau = tau
        self.ebm_weight = ebm_weight
        self.ebm_top_c = ebm_top_c
        self.ebm_crop_value = ebm_crop_value
        self._text_cache: Optional[Tuple[int, torch.Tensor]] = None

    def build_id_bank(self, vocabulary, templates) -> torch.Tensor:
        model = self.clip.model
        check_supported(model)
        names = list(vocabulary.names)
        width = model.token_embedding.weight.shape[1]
        if self._ctx_init:
            init_tokens = self.clip.tokenizer([self._ctx_init])
            n_ctx = int((init_tokens[0] > 0).sum()) - 2  # minus SOS, EOS
            with torch.no_grad():
                ctx = model.token_embedding(init_tokens)[0, 1:1 + n_ctx].float().clone()
        else:
            n_ctx = self._n_ctx
            gen = torch.Generator().manual_seed(0)
            ctx = torch.randn(n_ctx, width, generator=gen) * self._ctx_std
        self.n_ctx = n_ctx
        self.ctx = nn.Parameter(ctx)
        self.register_buffer('prompt_tokens',
                             self.clip.tokenizer(context_prompts(names, n_ctx)),
                             persistent=False)
        # the ID rows of the text bank are placeholders: the ID features come from the prompts
        return torch.zeros(len(names), self.clip.embed_dim)

    def id_text_features(self) -> torch.Tensor:
        """L2-normalised prompt features of the ID classes (``C x D``); with gradients to
        ``ctx`` in training, cached per ``ctx`` version otherwise."""
        if self.training or torch.is_grad_enabled() and self.ctx.requires_grad:
            feats = encode_text_with_context(self.clip.model, self.prompt_tokens, self.ctx)
            return F.normalize(feats.float(), dim=-1)
        version = self.ctx._version
        if self._text_cache is None or self._text_cache[0] != version:
            with torch.no_grad():
                feats = encode_text_with_context(self.clip.model, self.prompt_tokens, self.ctx)
            self._text_cache = (version, F.normalize(feats.float(), dim=-1))
        return self._text_cache[1]

    def similarities(self, inputs: torch.Tensor):
        img = self.image_features(inputs)
        id_sims = img @ self.id_text_features().T
        neg = img @ self.text_bank[self.num_classes:].T if self.num_negatives else None
        return id_sims, neg

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        labels = torch.cat([ds.gt_label for ds in data_samples]).to(inputs.device)
        with torch.no_grad():
            img = self.image_features(inputs)
        cos = img @ self.id_text_features().T
        logit_scale = self.clip.model.logit_scale.exp().detach()
        loss_cls = F.cross_entropy(logit_scale * cos, labels)
        s = cos / self.tau
        bound = delta_energy_lower_bound(s, labels, self.ebm_top_c,
                                         self.ebm_crop_value / self.tau)
        with torch.no_grad():
            de = delta_energy(cos.detach(), self.tau, self.ebm_top_c, self.ebm_crop_value)
        return dict(loss_cls=loss_cls, loss_ebm=-self.ebm_weight * bound.mean(),
                    delta_energy=de.mean())
