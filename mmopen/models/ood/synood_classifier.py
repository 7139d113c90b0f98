"""SynOOD's two-stage fine-tuning of a CLIP OOD detector (SynOOD §3.4-3.5), with NegLabel
inference over the tuned features."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmopen.ood.synood.manifest import read_manifest
from .clip_ood_classifier import CLIPOODClassifier


class ResidualProjection(nn.Module):
    """``f' = normalise(f + ReLU(LN(Linear(f))))`` (SynOOD eq. 11's ``delta``).

    LN's scale starts at ``init_scale`` (0.01), so at initialisation ``f'`` is within
    ``~0.01 * sqrt(D / 2)`` of ``f`` (the zero-shot detector) and training moves away from it.
    With LN's default scale of one the residual would have norm ``~sqrt(D / 2)`` against
    ``|f| = 1`` and bury the CLIP feature at the first step; with a scale of exactly zero the
    ReLU's input would be zero everywhere and no gradient would ever flow.
    """

    def __init__(self, dim: int, init_scale: float = 1e-2):
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        nn.init.constant_(self.norm.weight, init_scale)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return F.normalize(feats + F.relu(self.norm(self.linear(feats))), dim=-1)


@MODELS.register_module()
class SynOODClassifier(CLIPOODClassifier):
    """A CLIP OOD detector fine-tuned on SynOOD images; predicts like
    :class:`CLIPOODClassifier` (every OOD score; NegLabel is the method's) with the tuned parts.

    The class space of training labels is ``[ID classes (C) + negative labels]``: an ID image has
    its class, a synthetic image ``C + `` the index of its mined negative label (nouns, then
    adjectives of ``neg_labels``), as ``SynOODDataset`` and ``SynOODTransform`` give.

    * ``train_stage=1`` (eq. 12): only the residual projection trains; cross-entropy of
      ``logit_scale * cos(f', T)`` over the ID prompts and the *mined* negative labels, on ID
      and synthetic images.
    * ``train_stage=2`` (eq. 14): only the mined negatives' text features train (the text
      encoder's outputs, initialised from it, stored as ``neg_features``); cross-entropy over
      those features on the synthetic images alone (ID samples in a batch are refused). With
      ``projection=True`` a stage-1 projection (``load_from``) stays frozen in front; the paper
      found stage 2 without it best, the default.
    * inference: the tuned features replace their negatives in the NegLabel text bank (and the
      projection, if any, maps the image features).

    Args:
        mined_from: the SynOOD manifest (or its folder); its records' negative labels are the
            mined subset ``Y*-`` that stage 1 classifies over and stage 2 tunes. ``None``: all
            negatives (online ``SynOODTransform`` training, where the subset is not known).
        projection: put a :class:`ResidualProjection` on the image features.
        train_stage: 1, 2, or ``None`` (evaluation only: nothing trains).
        Other arguments: :class:`CLIPOODClassifier`.
    """

    def __init__(self,
                 clip: dict,
                 neg_labels: Union[str, Sequence[str]],
                 vocabulary: Union[str, Sequence] = 'imagenet_1k',
                 mined_from: Optional[str] = None,
                 projection: bool = False,
                 train_stage: Optional[int] = None,
                 **kwargs):
        if train_stage not in (None, 1, 2):
            raise ValueError(f'train_stage={train_stage!r}: 1 (projection), 2 (negative-label '
                             'features) or None (evaluation).')
        if train_stage == 1 and not projection:
            raise ValueError('train_stage=1 trains the residual projection: set projection=True.')
        super().__init__(clip=clip, vocabulary=vocabulary, neg_labels=neg_labels, **kwargs)
        if not self.num_negatives:
            raise ValueError('SynOODClassifier needs negative labels (neg_labels).')
        self.train_stage = train_stage
        self.mined_from = mined_from
        C, M = self.num_classes, self.num_negatives
        rows = torch.arange(M)  # negative index -> row of the stored negatives
        if self.neg_perm is not None:  # stored in NegLabel's group order
            rows = torch.empty(M, dtype=torch.long)
            rows[self.neg_perm] = torch.arange(M)
        subset = self._mined_subset(mined_from, M)
        # persistent: a checkpoint tuned over another subset is refused at load time
        self.register_buffer('tuned_index', subset)
        self.register_buffer('tuned_rows', C + rows[subset], persistent=False)
        col = torch.full((C + M, ), -1, dtype=torch.long)
        col[:C] = torch.arange(C)
        col[C + subset] = C + torch.arange(len(subset))
        self.register_buffer('label_to_col', col, persistent=False)
        self.neg_features = nn.Parameter(self.text_bank[self.tuned_rows].clone())
        self.projection = ResidualProjection(self.clip.embed_dim) if projection else None
        self.neg_features.requires_grad_(train_stage == 2)
        if self.projection is not None:
            self.projection.requires_grad_(train_stage == 1)

    @staticmethod
    def _mined_subset(mined_from: Optional[str], num_negatives: int) -> torch.Tensor:
        if mined_from is None:
            return torch.arange(num_negatives)
        records = read_manifest(mined_from)['records']
        idx = sorted({int(r['neg_index']) for r in records})
        if not idx:
            raise ValueError(f'SynOOD manifest {mined_from!r} has no records.')
        if idx[-1] >= num_negatives:
            raise ValueError(f'SynOOD manifest {mined_from!r} refers to negative label '
                             f'{idx[-1]} but neg_labels has {num_negatives}: the data set was '
                             'mined with another negative-label file.')
        return torch.tensor(idx, dtype=torch.long)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'tuned_index'
        if key in state_dict and not torch.equal(state_dict[key].cpu(), self.tuned_index.cpu()):
            raise ValueError(
                f'The checkpoint tuned {state_dict[key].numel()} negative labels, this model '
                f'{self.tuned_index.numel()} (mined_from={self.mined_from!r}): evaluate with '
                'the manifest the checkpoint was trained on.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ features
    def image_features(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = super().image_features(inputs)
        return self.projection(feats) if self.projection is not None else feats

    def tuned_negatives(self) -> torch.Tensor:
        return F.normalize(self.neg_features.float(), dim=-1)

    def current_bank(self) -> torch.Tensor:
        """The text bank with the tuned negatives in place (differentiable w.r.t. them)."""
        return self.text_bank.index_copy(0, self.tuned_rows, self.tuned_negatives())

    def similarities(self, inputs: torch.Tensor):
        sims = self.image_features(inputs) @ self.current_bank().T
        return sims[:, :self.num_classes], sims[:, self.num_classes:]

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        if self.train_stage is None:
            raise RuntimeError('SynOODClassifier built with train_stage=None is for evaluation; '
                               'set train_stage=1 or 2 to train.')
        labels = torch.cat([ds.gt_label for ds in data_samples]).to(inputs.device).long()
        if labels.max() >= self.label_to_col.numel() or labels.min() < 0:
            raise ValueError(f'Label {int(labels.max())} is outside [ID classes '
                             f'({self.num_classes}) + negatives ({self.num_negatives})].')
        cols = self.label_to_col[labels]
        if (cols < 0).any():
            bad = int(labels[cols < 0][0]) - self.num_classes
            raise ValueError(f'Negative label {bad} is not in the mined subset of '
                             f'{self.mined_from!r}.')
        logit_scale = self.clip.logit_scale().detach().float()
        if self.train_stage == 1:
            img = self.image_features(inputs)
            text = torch.cat([self.text_bank[:self.num_classes], self.tuned_negatives()])
            loss = F.cross_entropy(logit_scale * img @ text.T, cols)
            return dict(loss_projection=loss)
        synthetic = cols >= self.num_classes
        if not synthetic.all():
            raise ValueError('Stage 2 trains on synthetic images only, but the batch has ID '
                             "images: use SynOODDataset(parts=('synthetic', )).")
        with torch.no_grad():
            img = self.image_features(inputs)
        logits = logit_scale * img @ self.tuned_negatives().T
        return dict(loss_neg_features=F.cross_entropy(logits, cols - self.num_classes))
