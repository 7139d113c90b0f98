"""Negative-label mining for synthetic images (SynOOD §3.4): each image gets the negative label
its CLIP embedding is most similar to, ``argmax_j cos(F(x_syn), T_j)`` over all negatives."""
from typing import Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from mmopen.clip import FrozenCLIP
from mmopen.clip.preprocess import clip_input_size, clip_normalise
from mmopen.diffusion.images import from_uint8
from mmopen.ood.neg_bank import load_neg_bank
from mmopen.ood.neg_labels import read_neg_labels


class NegativeLabelMiner:
    """The OOD detector's CLIP and its negative labels (the text bank NegLabel scores with).

    Args:
        clip: ``FrozenCLIP`` arguments or a built one.
        neg_labels: the negative-label file (``tools/ood/mine_neg_labels.py``).
        neg_noun_templates / neg_adj_templates: as in ``CLIPOODClassifier``.
    """

    def __init__(self, clip, neg_labels: str,
                 neg_noun_templates: Sequence[str] = ('the nice {}', ),
                 neg_adj_templates: Sequence[str] = ('This is a {} photo', )):
        self.clip = clip if isinstance(clip, FrozenCLIP) else FrozenCLIP(**clip)
        labels = read_neg_labels(neg_labels)
        # the bank's row order: nouns, adjectives, then CSP's conjugated labels
        self.words = list(labels.nouns) + list(labels.adjectives) + list(labels.conjugated)
        self.bank = load_neg_bank(self.clip, labels, neg_noun_templates, neg_adj_templates)
        self.input_size = clip_input_size(self.clip)

    @torch.no_grad()
    def __call__(self, images: Union[torch.Tensor, Sequence[np.ndarray]]) -> torch.Tensor:
        """Index (into the negative labels: nouns, adjectives, conjugated) of each image's
        label."""
        x = images if isinstance(images, torch.Tensor) else from_uint8(images)
        x = F.interpolate(x.float(), size=(self.input_size, ) * 2, mode='bicubic',
                          align_corners=False, antialias=x.shape[-1] > self.input_size).clamp(0, 1)
        x = clip_normalise(x)
        device = next(self.clip.parameters()).device
        emb = F.normalize(self.clip.encode_image(x.to(device)).float(), dim=-1).cpu()
        return (emb @ self.bank.T).argmax(dim=1)
