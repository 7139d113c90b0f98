"""FC-CLIP's geometric ensemble of the in-vocabulary (trained) classifier and the
out-of-vocabulary (frozen, mask-pooled CLIP) classifier (Yu et al., NeurIPS 2023, Sec. 3.3).

For each query, with ``p_in`` the trained classifier's softmax over the classes (no-object
excluded) and ``p_out`` the softmax of the frozen CLIP's logits of the mask-pooled embedding,

    p(c) ∝ p_in(c)^(1 - alpha) p_out(c)^alpha   for classes seen in training,
    p(c) ∝ p_in(c)^(1 - beta)  p_out(c)^beta    for the others,

normalised over the classes and scaled by ``1 - p(no object)`` of the trained classifier (FC-CLIP
keeps its no-object probability). ``alpha = 0.4``, ``beta = 0.8`` are FC-CLIP's defaults. A test
class counts as seen when one of its names is a name of a training class
(:func:`mmopen.clip.vocabularies.seen_mask`).
"""
from typing import Optional

import torch
from torch import Tensor


def geometric_ensemble(logits: Tensor, clip_logits: Tensor, seen: Optional[Tensor],
                       alpha: float = 0.4, beta: float = 0.8) -> Tensor:
    """Class probabilities (``... x C``, no-object dropped) from the trained classifier's logits
    (``... x (C + 1)``, no-object last) and the CLIP classifier's logits (``... x C``).
    ``seen=None`` treats every class as seen."""
    log_in = torch.log_softmax(logits[..., :-1].float(), dim=-1)
    log_out = torch.log_softmax(clip_logits.float(), dim=-1)
    if seen is None:
        weight = torch.full_like(log_in[..., :1], float(alpha)).expand_as(log_in)
    else:
        weight = torch.where(seen.to(log_in.device), float(alpha), float(beta)).expand_as(log_in)
    ens = torch.softmax((1 - weight) * log_in + weight * log_out, dim=-1)
    p_void = torch.softmax(logits.float(), dim=-1)[..., -1:]
    return ens * (1 - p_void)
