"""SeeCLIP's semantic tokens (semantic-aware prompt enhancement) and their perturbation.

Semantic tokens (SeeCLIP §3.2): ``K`` learnable queries ``q_k`` attend over an image's patch
tokens ``P`` (``N x D``, the CLIP tower's per-patch embeddings,
:func:`mmopen.clip.dense_features` ``embeddings``)::

    paper:  a_k = softmax_over_patches(P q_k),     s_k = sum_i a_k,i p_i

so each ``s_k`` is a convex combination of patches: the part of the image query ``k`` looks
for. Three attention modes:

* ``attention='released'`` (the paper configs' default) is the released code's
  ``SemanticTokenExtractor`` exactly: raw logits ``p_i . q_k`` (no scaling, normalisation,
  centring or temperature), a softmax over the patches, ``s_k`` the weighted sum of the raw
  patches, with queries drawn from ``N(0, 0.02^2)`` (:func:`normal_queries`). The release hands
  its extractor a stack of every transformer layer's output before ``ln_post`` and the
  projection, which does not fit the extractor's ``B x N x d_model`` (its ``d_model`` is the
  text width); here ``P`` is the last layer's patch embeddings after the projection (width
  ``D``), not normalised, as the release's extractor expects them;
* ``attention='competitive'`` and ``'independent'`` are mmopen's variant, which the quickstart
  uses. Taken literally with free queries, the released formula collapses on the quickstart's
  tiny CLIP: the logits ``p_i . q_k`` stay within a fraction of a unit, every ``a_k`` is within
  a few percent of uniform and every token is the mean patch (the quickstart's learners trained
  with ``attention='released'``, seeds 0-2: pairwise cosine of the ``K = 4`` tokens 0.999,
  attention entropy 0.996-0.998 of ``log N``; H-score 89.7 / 0.0 / 4.8 against the variant's
  94.3 / 0.0 / 17.3), and nothing in the losses makes the queries differ. The variant
  (a **reconstruction**; the paper gives no more) makes the tokens attend to different parts:

  - **cosine logits of the centred unit patches, with a temperature**:
    ``l_{k,i} = cos(p_i - mean_j p_j, q_k) / t`` with a learnable ``t`` (initialised at 0.1,
    kept in ``[0.01, 1]``), so a query's logits span ``+-10`` whatever its norm, and how
    sharply it attends is learnt, not an accident of the initialisation. CLIP patch embeddings
    share a large common direction (on the quickstart the mean pairwise cosine of an image's
    patches is 0.86), so raw cosines barely tell the patches apart; what decides where a query
    looks is what sets a patch apart from the rest of its image. The tokens average the
    (uncentred) unit patches;
  - ``'competitive'``: each patch is shared among the queries by a softmax over ``k`` (as in
    slot attention, Locatello et al. 2020), ``c_{k,i} = softmax_k(l_{k,i})``, and each token is
    the mean of the patches in its share, ``a_k,i = c_{k,i} / sum_j c_{k,j}``: a patch one
    query takes is not given to another, so two queries cannot both settle on the mean patch;
    ``'independent'`` is a softmax over the patches of the same cosine logits (the released
    formula's form, not its logits);
  - **orthonormal initial queries** (:func:`orthonormal_queries`, a seeded QR of a Gaussian,
    while ``K <= D``): distinct directions from the first step.

Each ``a_k`` is a distribution over the patches and ``s_k`` a convex combination of them.
:func:`token_diagnostics` measures what a probe needs: the mean pairwise cosine of the tokens
(1 when they coincide) and the attention entropy as a share of ``log N`` (1 when uniform).

Pseudo-unknowns (SeeCLIP §3.4) start from tokens perturbed with Gaussian noise,
``s_k + N(0, sigma^2)`` (sigma = 0.2 is the paper's best). ``noise='absolute'`` adds it as the
release does (``torch.randn_like(s) * sigma``); ``noise='rms'`` measures it in units of the
token's root-mean-square value (``sigma * rms(s_k)`` per dimension), which keeps ``sigma``
meaning the same for any embedding width and token scale -- mmopen's variant, which the
quickstart uses (its tokens average unit patches, so their entries are ~``1 / sqrt(D)``
and an absolute 0.2 would drown them).
"""
import math
from typing import Dict, NamedTuple, Optional

import torch
import torch.nn.functional as F

ATTENTION_MODES = ('released', 'competitive', 'independent')
QUERY_INITS = ('normal', 'orthonormal')
NOISE_SCALES = ('absolute', 'rms')


class SemanticTokens(NamedTuple):
    tokens: torch.Tensor     # B x K x D
    attention: torch.Tensor  # B x K x N, each row sums to 1 over the patches
    patches: torch.Tensor    # B x N x D, the unit patch embeddings attended over


def flatten_patches(embeddings: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """``B x D x h x w`` per-patch CLIP embeddings -> ``B x (h w) x D`` (L2-normalised rows
    unless ``normalize=False``)."""
    if embeddings.ndim != 4:
        raise ValueError(f'patch embeddings must be B x D x h x w, got {tuple(embeddings.shape)}.')
    patches = embeddings.flatten(2).transpose(1, 2).float()
    return F.normalize(patches, dim=-1) if normalize else patches


def normal_queries(num_queries: int, dim: int, generator: torch.Generator,
                   std: float = 0.02) -> torch.Tensor:
    """``K x D`` queries drawn from ``N(0, std^2)``: the release's ``nn.init.normal_(q,
    std=0.02)``."""
    return torch.randn(num_queries, dim, generator=generator) * std


def orthonormal_queries(num_queries: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """``K x D`` unit queries: orthonormal rows of a Gaussian's QR while ``K <= D``, else
    normalised Gaussian rows."""
    g = torch.randn(max(num_queries, dim), dim, generator=generator)
    if num_queries <= dim:
        q, _ = torch.linalg.qr(g[:dim].T)  # D x D, orthonormal columns
        return q.T[:num_queries].contiguous()
    return F.normalize(g[:num_queries], dim=-1)


def semantic_tokens(patches: torch.Tensor, queries: torch.Tensor, temperature=1.0,
                    attention: str = 'competitive') -> SemanticTokens:
    """Tokens of patches ``B x N x D`` for queries ``K x D``; see the module docstring.
    ``'released'`` uses the patches and queries as given and ignores ``temperature``; the other
    modes expect unit patches. ``temperature`` is a float or a 0-d tensor (differentiable)."""
    if patches.ndim != 3 or queries.ndim != 2 or patches.shape[-1] != queries.shape[-1]:
        raise ValueError(f'patches B x N x D and queries K x D must share D; got '
                         f'{tuple(patches.shape)} and {tuple(queries.shape)}.')
    if attention not in ATTENTION_MODES:
        raise ValueError(f'attention={attention!r}: use one of {ATTENTION_MODES}.')
    if attention == 'released':
        attn = torch.softmax(torch.einsum('bnd,kd->bkn', patches, queries.to(patches.dtype)),
                             dim=-1)
        return SemanticTokens(torch.einsum('bkn,bnd->bkd', attn, patches), attn, patches)
    q = F.normalize(queries.to(patches.dtype), dim=-1)
    centred = F.normalize(patches - patches.mean(dim=1, keepdim=True), dim=-1)
    logits = torch.einsum('bnd,kd->bkn', centred, q) / temperature
    if attention == 'independent':
        attn = torch.softmax(logits, dim=-1)
    else:
        share = torch.softmax(logits, dim=1)  # each patch split among the queries
        attn = share / share.sum(dim=-1, keepdim=True).clamp_min(1e-12)
    return SemanticTokens(torch.einsum('bkn,bnd->bkd', attn, patches), attn, patches)


def _mean_pairwise_cos(x: torch.Tensor) -> torch.Tensor:
    """Mean cosine over the distinct pairs of rows of each ``B x M x D`` (NaN for ``M = 1``)."""
    m = x.shape[1]
    if m < 2:
        return torch.full((x.shape[0], ), float('nan'), device=x.device)
    unit = F.normalize(x.float(), dim=-1)
    cos = unit @ unit.transpose(1, 2)
    return cos[:, ~torch.eye(m, dtype=torch.bool, device=cos.device)].mean(dim=1)


def token_diagnostics(sem: SemanticTokens) -> Dict[str, torch.Tensor]:
    """The probe of semantic tokens, per image (``B``):

    * ``token_cos``: the mean pairwise cosine of its ``K`` tokens (1 when they coincide);
    * ``token_spread``: ``(1 - token_cos) / (1 - patch_cos)``, how far apart the tokens are as
      a share of how far apart the image's patches are (``patch_cos``, their mean pairwise
      cosine: tokens that average patches cannot differ more than the patches do; 0 when every
      token is the same mixture);
    * ``attention_entropy``: the mean attention entropy over the queries as a share of
      ``log N`` (1 when uniform);
    * ``attention_max_min``: the mean ratio of a query's largest to its smallest weight."""
    attn = sem.attention.float()
    n = attn.shape[-1]
    token_cos, patch_cos = _mean_pairwise_cos(sem.tokens), _mean_pairwise_cos(sem.patches)
    entropy = -(attn * attn.clamp_min(1e-30).log()).sum(-1) / math.log(n) if n > 1 else \
        torch.zeros(attn.shape[:2], device=attn.device)
    ratio = attn.max(-1).values / attn.min(-1).values.clamp_min(1e-30)
    return dict(token_cos=token_cos, patch_cos=patch_cos,
                token_spread=(1 - token_cos) / (1 - patch_cos).clamp_min(1e-12),
                attention_entropy=entropy.mean(1), attention_max_min=ratio.mean(1))


def perturb_tokens(tokens: torch.Tensor, sigma: float,
                   generator: Optional[torch.Generator] = None,
                   noise: str = 'rms') -> torch.Tensor:
    """``s + sigma * N(0, I)`` (``noise='absolute'``, the release) or
    ``s + sigma * rms(s) * N(0, I)`` (``'rms'``) per token (``... x D``); see the module
    docstring."""
    if sigma < 0:
        raise ValueError(f'sigma={sigma}: the perturbation scale must be >= 0.')
    if noise not in NOISE_SCALES:
        raise ValueError(f'noise={noise!r}: use one of {NOISE_SCALES}.')
    draw = torch.randn(tokens.shape, generator=generator, dtype=tokens.dtype).to(tokens.device)
    if noise == 'absolute':
        return tokens + sigma * draw
    rms = tokens.pow(2).mean(dim=-1, keepdim=True).sqrt()
    return tokens + sigma * rms * draw
