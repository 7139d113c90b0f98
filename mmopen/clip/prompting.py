"""Text encoding with learnable context vectors (CoOp, Zhou et al., IJCV 2022).

A prompt for class ``c`` is ``[SOS] ctx_1 .. ctx_M <tokens of c> . [EOS]``: the ``M`` context
vectors are parameters in the token-embedding space shared by all classes; the class-name tokens
and the special tokens keep their (frozen) embeddings. The rest of the forward pass is open_clip's
``CLIP.encode_text``: positional embedding, transformer with the causal mask, ``ln_final``,
pooling at the EOS token, projection.
"""
from typing import List, Sequence

import torch
from torch import nn

PLACEHOLDER = 'X'


def context_prompts(class_names: Sequence[str], n_ctx: int) -> List[str]:
    """``'X X .. X name.'`` per class: the ``X`` tokens are placeholders for the context."""
    prefix = ' '.join([PLACEHOLDER] * n_ctx)
    return [f'{prefix} {name}.' for name in class_names]


def check_supported(model: nn.Module) -> None:
    for attr in ('token_embedding', 'positional_embedding', 'transformer', 'ln_final',
                 'text_projection'):
        if not hasattr(model, attr):
            raise NotImplementedError(
                f'Prompt learning needs an open_clip CLIP with its own text tower; '
                f'{type(model).__name__} has no `{attr}` (models with Hugging Face text towers '
                'are not supported).')


def encode_text_with_context(model: nn.Module, tokens: torch.Tensor,
                             ctx: torch.Tensor) -> torch.Tensor:
    """Text features (``N x D``, not normalised) of tokenised prompts whose positions
    ``1 .. M`` are replaced by the context vectors ``ctx`` (``M x width``, or ``N x M x width``
    for per-prompt context). Gradients flow to ``ctx`` even when the model is frozen."""
    from open_clip.transformer import text_global_pool
    check_supported(model)
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype)
    m = ctx.shape[-2]
    ctx = ctx.to(cast_dtype)
    if ctx.ndim == 2:
        ctx = ctx.unsqueeze(0).expand(x.shape[0], -1, -1)
    x = torch.cat([x[:, :1], ctx, x[:, 1 + m:]], dim=1)
    x = x + model.positional_embedding.to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask)
    x = model.ln_final(x)
    x = text_global_pool(x, tokens, model.text_pool_type,
                         eos_token_id=getattr(model, 'text_eos_id', None))
    if isinstance(model.text_projection, nn.Linear):
        return model.text_projection(x)
    return x @ model.text_projection
