"""``SeeCLIPPromptLearner``: SeeCLIP's semantic-enhanced prompts over a frozen CLIP.

For an image with global feature ``v_dom`` (the domain token: the L2-normalised global image
embedding) and semantic tokens ``s_1 .. s_K`` (:mod:`mmopen.osdg.seeclip.semantic_tokens`):

* known prompt of class ``c``: ``[SOS] Phi(v_dom) Psi_1(s_1) .. Psi_K(s_K) <tokens of c> . [EOS]``
  -- the class name is kept (the released code drops it, which leaves the known prompts with
  nothing that tells the classes apart but the image);
* unknown prompt: ``[SOS] Phi(v_dom) v_1 .. v_m unknown . [EOS]`` with ``m`` learnable vectors.

``Phi`` and ``Psi_k`` are linear maps from the CLIP embedding width ``D`` into the text tower's
token-embedding width ``W`` (the paper's ``Linear(d, d)`` where the two widths coincide). The
prompts are encoded by the frozen text tower
(:func:`mmopen.clip.prompting.encode_text_with_context`), so every image gets its own ``C + 1``
text features, as in conditional prompt learning: the text tower runs ``B (C + 1)`` prompts per
batch.
"""
import math
from typing import List, NamedTuple, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmopen.clip.prompting import check_supported, context_prompts, encode_text_with_context
from mmopen.osdg.seeclip.semantic_tokens import (ATTENTION_MODES, QUERY_INITS, SemanticTokens,
                                                 flatten_patches, normal_queries,
                                                 orthonormal_queries, semantic_tokens)


class SeeCLIPPrompts(NamedTuple):
    text: torch.Tensor        # B x (C + 1) x D, L2-normalised; column C = the unknown prompt
    image: torch.Tensor       # B x D, L2-normalised global image features
    semantic: SemanticTokens  # B x K x D tokens and their B x K x N patch attention


@MODELS.register_module()
class SeeCLIPPromptLearner(nn.Module):
    """Semantic-token queries, the projections ``Phi`` / ``Psi_k`` and the unknown context.

    Args:
        class_names: the known classes' prompt names, label order.
        tokenizer: the CLIP tokenizer (``FrozenCLIP.tokenizer``).
        embed_dim: CLIP embedding width ``D``.
        token_width: the text tower's token-embedding width ``W``.
        num_queries: ``K`` semantic tokens (4, the paper's best).
        n_unknown_ctx: ``m`` learnable tokens of the unknown prompt (4).
        unknown_word: the word ending the unknown prompt.
        init_std: std of the normal initialisation of the unknown context and, with
            ``query_init='normal'``, of the queries (0.02, the release's).
        attention: ``'released'`` (default: the released code's raw softmax over the patches of
            ``P q_k``, on the unnormalised patch embeddings), ``'competitive'`` (mmopen's
            variant, the quickstart's: cosine logits of centred unit patches over a learnt
            temperature, the queries sharing each patch) or ``'independent'`` (the variant's
            logits, a softmax over the patches); see
            :mod:`mmopen.osdg.seeclip.semantic_tokens`.
        query_init: ``'normal'`` (default, the release's ``N(0, init_std^2)``) or
            ``'orthonormal'`` (the quickstart's).
        temperature: initial temperature of the variant's cosine logits (0.1); learnt, kept in
            ``[0.01, 1]``. Not used (no parameter) with ``attention='released'``.
        seed: seed of the initialisation (queries; the projections use PyTorch's default init
            under the same seed), so two builds are identical.
    """

    def __init__(self,
                 class_names: Sequence[str],
                 tokenizer,
                 embed_dim: int,
                 token_width: int,
                 num_queries: int = 4,
                 n_unknown_ctx: int = 4,
                 unknown_word: str = 'unknown',
                 init_std: float = 0.02,
                 attention: str = 'released',
                 query_init: str = 'normal',
                 temperature: float = 0.1,
                 seed: int = 0):
        super().__init__()
        if attention not in ATTENTION_MODES:
            raise ValueError(f'attention={attention!r}: use one of {ATTENTION_MODES}.')
        if query_init not in QUERY_INITS:
            raise ValueError(f'query_init={query_init!r}: use one of {QUERY_INITS}.')
        if not 0.01 <= temperature <= 1.0:
            raise ValueError(f'temperature={temperature}: must be in [0.01, 1].')
        if num_queries < 1 or n_unknown_ctx < 1:
            raise ValueError(f'num_queries={num_queries}, n_unknown_ctx={n_unknown_ctx}: both '
                             'must be >= 1.')
        if not class_names:
            raise ValueError('SeeCLIPPromptLearner needs at least one known class name.')
        self.class_names = list(class_names)
        self.num_queries = num_queries
        self.n_unknown_ctx = n_unknown_ctx
        self.unknown_word = unknown_word
        self.attention = attention
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            gen = torch.Generator().manual_seed(seed)
            self.queries = nn.Parameter(
                normal_queries(num_queries, embed_dim, gen, init_std) if query_init == 'normal'
                else orthonormal_queries(num_queries, embed_dim, gen))
            if attention != 'released':
                # log of the inverse temperature, as CLIP's logit_scale
                self.attention_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))
            self.phi = nn.Linear(embed_dim, token_width)
            self.psi = nn.ModuleList(nn.Linear(embed_dim, token_width)
                                     for _ in range(num_queries))
            self.unknown_ctx = nn.Parameter(torch.randn(n_unknown_ctx, token_width) * init_std)
        finally:
            torch.random.set_rng_state(state)
        known = tokenizer(context_prompts(self.class_names, 1 + num_queries))
        unknown = tokenizer(context_prompts([unknown_word], 1 + n_unknown_ctx))
        self._check_fits(known, self.class_names)
        self._check_fits(unknown, [unknown_word])
        self.register_buffer('known_tokens', known, persistent=False)
        self.register_buffer('unknown_tokens', unknown, persistent=False)

    @staticmethod
    def _check_fits(tokens: torch.Tensor, names: Sequence[str]) -> None:
        full = [names[i] for i in range(tokens.shape[0]) if int(tokens[i, -1]) != 0]
        if full:  # no padding left: the prompt fills the context and may be truncated
            raise ValueError(f'The prompts of {full[:5]} fill the text tower\'s context of '
                             f'{tokens.shape[1]} tokens: shorten these class names or use fewer '
                             'queries / context tokens.')

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def psi_weights(self) -> List[torch.Tensor]:
        return [p.weight for p in self.psi]

    @property
    def temperature(self):
        """The variant's temperature, ``exp(-attention_scale)`` kept in ``[0.01, 1]``; ``None``
        with the released attention, which has none."""
        if self.attention == 'released':
            return None
        return self.attention_scale.clamp(0.0, math.log(100.0)).neg().exp()

    def semantic(self, patch_embeddings: torch.Tensor) -> SemanticTokens:
        """Semantic tokens of ``B x D x h x w`` per-patch CLIP embeddings (unit patches for the
        variant, the embeddings as they are for the released attention)."""
        patches = flatten_patches(patch_embeddings, normalize=self.attention != 'released')
        return semantic_tokens(patches, self.queries, self.temperature or 1.0, self.attention)

    def contexts(self, image: torch.Tensor, tokens: torch.Tensor):
        """Per-image contexts: known ``B x (1 + K) x W`` and unknown ``B x (1 + m) x W``."""
        dom = self.phi(image).unsqueeze(1)
        sem = torch.stack([psi(tokens[:, k]) for k, psi in enumerate(self.psi)], dim=1)
        known = torch.cat([dom, sem], dim=1)
        unknown = torch.cat([dom, self.unknown_ctx.unsqueeze(0).expand(image.shape[0], -1, -1)],
                            dim=1)
        return known, unknown

    def forward(self, clip_model: nn.Module, image: torch.Tensor,
                patch_embeddings: torch.Tensor) -> SeeCLIPPrompts:
        """Text features of every image's ``C`` known prompts and its unknown prompt.

        Args:
            clip_model: the open_clip model (``FrozenCLIP.model``).
            image: ``B x D`` L2-normalised global image features (the domain tokens).
            patch_embeddings: ``B x D x h x w`` per-patch CLIP embeddings.
        """
        check_supported(clip_model)
        sem = self.semantic(patch_embeddings)
        known_ctx, unknown_ctx = self.contexts(image.float(), sem.tokens)
        b, c = image.shape[0], self.num_classes
        known = encode_text_with_context(
            clip_model, self.known_tokens.repeat(b, 1),
            known_ctx.repeat_interleave(c, dim=0))
        unknown = encode_text_with_context(clip_model, self.unknown_tokens.expand(b, -1),
                                           unknown_ctx)
        text = torch.cat([known.view(b, c, -1), unknown.view(b, 1, -1)], dim=1)
        return SeeCLIPPrompts(F.normalize(text.float(), dim=-1), image, sem)
