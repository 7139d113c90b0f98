"""SeeCLIP's semantic tokens (semantic-aware prompt enhancement) and their perturbation.

Semantic tokens (SeeCLIP §3.2): ``K`` learnable queries ``q_k`` attend over an image's patch
tokens ``P`` (``N x D``)::

    a_k = softmax_over_patches(P q_k),     s_k = sum_i a_k,i p_i

so each ``s_k`` is a convex combination of patches: a part of the image the query has learned to
look for. The patch tokens are the CLIP tower's per-patch embeddings
(:func:`mmopen.clip.dense_features`, ``embeddings``), L2-normalised so that they sit on the
scale of the normalised global image feature (the domain token); the logits ``P q_k`` are not
otherwise scaled (the queries learn their own temperature through their norm).

Pseudo-unknowns (SeeCLIP §3.4) start from tokens perturbed with Gaussian noise,
``s_k + N(0, sigma^2)`` (sigma = 0.2 is the paper's best). The paper does not say on what scale
its tokens live; here the noise is measured in units of the token's root-mean-square value
(``sigma * rms(s_k)`` per dimension), which keeps ``sigma`` meaning the same for any embedding
width -- a reconstruction, stated as such.
"""
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F


class SemanticTokens(NamedTuple):
    tokens: torch.Tensor     # B x K x D
    attention: torch.Tensor  # B x K x N, each row sums to 1 over the patches


def flatten_patches(embeddings: torch.Tensor) -> torch.Tensor:
    """``B x D x h x w`` per-patch CLIP embeddings -> L2-normalised ``B x (h w) x D``."""
    if embeddings.ndim != 4:
        raise ValueError(f'patch embeddings must be B x D x h x w, got {tuple(embeddings.shape)}.')
    return F.normalize(embeddings.flatten(2).transpose(1, 2).float(), dim=-1)


def semantic_tokens(patches: torch.Tensor, queries: torch.Tensor) -> SemanticTokens:
    """``a_k = softmax_i(p_i . q_k)``, ``s_k = sum_i a_k,i p_i`` for patches ``B x N x D`` and
    queries ``K x D``."""
    if patches.ndim != 3 or queries.ndim != 2 or patches.shape[-1] != queries.shape[-1]:
        raise ValueError(f'patches B x N x D and queries K x D must share D; got '
                         f'{tuple(patches.shape)} and {tuple(queries.shape)}.')
    attn = torch.softmax(torch.einsum('bnd,kd->bkn', patches, queries.to(patches.dtype)), dim=-1)
    return SemanticTokens(torch.einsum('bkn,bnd->bkd', attn, patches), attn)


def perturb_tokens(tokens: torch.Tensor, sigma: float,
                   generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``s + sigma * rms(s) * N(0, I)`` per token (``... x D``); see the module docstring."""
    if sigma < 0:
        raise ValueError(f'sigma={sigma}: the perturbation scale must be >= 0.')
    rms = tokens.pow(2).mean(dim=-1, keepdim=True).sqrt()
    noise = torch.randn(tokens.shape, generator=generator, dtype=tokens.dtype)
    return tokens + sigma * rms * noise.to(tokens.device)
