"""SeeCLIP's training objective (SeeCLIP §3.3, "duplex contrastive learning").

With per-image text features ``t_{b,c}`` (L2-normalised; ``c < C`` the known-class prompts,
``c = C`` the unknown prompt) and image features ``f_b``:

* alignment: ``L_align = CE(logit_scale * cos(f_b, t_{b,.}), y_b)`` over ``C + 1`` classes
  (pseudo-unknowns carry ``y = C``);
* repulsion: ``L_rep = mean_b max(0, cos(t_{b,C}, t_{b,y_b}) - (1 - m))`` over the known
  samples: the unknown prompt stays at least the margin ``m`` (0.5) away from the sample's own
  class prompt. The released code's sign is inverted (it *rewards* similarity); this is the
  hinge the paper describes, and a gradient step on it lowers the similarity (tested);
* cohesion: ``L_coh = || mean_b t_{b,C} - mean_b t_{b,y_b} ||^2 / D`` (MSE of the two batch
  means): the unknown prompt stays semantically near the known ones, so that it sits at the
  boundary instead of anywhere far away;
* regulariser: ``L_reg = mean |W|`` over the weights of the semantic projections ``Psi_k``
  (L1; a mean, so its weight does not depend on the width -- a reconstruction).

Total: ``L_align + 1.0 L_rep + 0.5 L_coh + 0.01 L_reg`` (the paper's weights).
"""
from typing import Dict, Iterable

import torch
import torch.nn.functional as F


def alignment_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the ``C + 1`` logits (``B x (C + 1)``)."""
    return F.cross_entropy(logits, labels)


def _known(text: torch.Tensor, labels: torch.Tensor):
    """Unknown-prompt features and GT class-prompt features of the known samples."""
    num_known = text.shape[1] - 1
    keep = labels < num_known
    idx = torch.nonzero(keep).flatten()
    t_unk = text[idx, num_known]
    t_gt = text[idx, labels[idx]]
    return t_unk, t_gt


def repulsion_loss(text: torch.Tensor, labels: torch.Tensor, margin: float = 0.5) -> torch.Tensor:
    """Hinge ``max(0, cos(t_unk, t_y) - (1 - margin))`` averaged over the known samples;
    ``text`` is ``B x (C + 1) x D`` (normalised). Zero (with a graph) without known samples."""
    t_unk, t_gt = _known(text, labels)
    if t_unk.shape[0] == 0:
        return text.sum() * 0
    cos = (t_unk * t_gt).sum(-1)
    return F.relu(cos - (1.0 - margin)).mean()


def cohesion_loss(text: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """MSE between the batch means of the unknown prompt and of the GT class prompts."""
    t_unk, t_gt = _known(text, labels)
    if t_unk.shape[0] == 0:
        return text.sum() * 0
    return F.mse_loss(t_unk.mean(0), t_gt.mean(0))


def l1_regulariser(weights: Iterable[torch.Tensor]) -> torch.Tensor:
    """Mean absolute value over all entries of ``weights``."""
    weights = list(weights)
    total = sum(w.abs().sum() for w in weights)
    return total / sum(w.numel() for w in weights)


def seeclip_losses(logits: torch.Tensor, text: torch.Tensor, labels: torch.Tensor,
                   psi_weights: Iterable[torch.Tensor], margin: float = 0.5,
                   w_rep: float = 1.0, w_coh: float = 0.5,
                   w_reg: float = 0.01) -> Dict[str, torch.Tensor]:
    """The four weighted terms, as the ``loss_*`` entries of an MMEngine loss dict."""
    return dict(loss_align=alignment_loss(logits, labels),
                loss_rep=w_rep * repulsion_loss(text, labels, margin),
                loss_coh=w_coh * cohesion_loss(text, labels),
                loss_reg=w_reg * l1_regulariser(psi_weights))
