"""Zero-shot CLIP classifier that reports OOD scores (MSP, MaxLogit, Energy, MCM, NegLabel,
ΔEnergy, GL-MCM, CSP; AdaNeg's per-sample inputs) with its class predictions."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS

from mmopen.clip import CLIP_MEAN, CLIP_STD, FrozenCLIP
from mmopen.clip.text_classifier import TextClassifier
from mmopen.clip.vocabularies import Vocabulary
from mmopen.ood.csp import CSP_TEMPLATES
from mmopen.ood.neg_bank import load_neg_bank
from mmopen.ood.neg_labels import read_neg_labels
from .score_components import CSPScore, build_scores

DEFAULT_SCORES = (dict(type='MSPScore'), dict(type='MaxLogitScore'), dict(type='EnergyScore'),
                  dict(type='MCMScore'), dict(type='NegLabelScore'),
                  dict(type='DeltaEnergyScore'))


def clip_data_preprocessor(cfg: Optional[dict]):
    """mmpretrain's ``ClsDataPreprocessor`` with CLIP's mean / std (RGB) unless ``cfg`` says
    otherwise; a built preprocessor is returned as it is."""
    if cfg is None:
        cfg = dict(mean=list(CLIP_MEAN), std=list(CLIP_STD), to_rgb=True)
    if isinstance(cfg, dict):
        cfg = dict(cfg)
        cfg.setdefault('type', 'ClsDataPreprocessor')
        cfg = MODELS.build(cfg)
    return cfg


@MODELS.register_module()
class CLIPOODClassifier(BaseModel):
    """Zero-shot classification over an ID vocabulary with OOD scores.

    Image and text embeddings come from ``mmopen.clip`` (text embeddings cached per
    vocabulary); the ID classes and, if given, the negative labels form one text bank, so one
    matmul gives both similarity blocks. Predictions carry ``pred_score`` (softmax of
    ``cos / cls_tau``), ``pred_label`` and ``ood_scores`` (``{score name: value}``).

    Args:
        clip: ``FrozenCLIP`` arguments (``model_name``, ``weights``, ``precision``).
        vocabulary: ID classes: a shipped vocabulary name, a file, or a list.
        templates: prompt templates of the ID classes (NegLabel: ``'the nice {}'``).
        neg_labels: negative-label file (or list of words), needed by ``NegLabelScore``.
        neg_noun_templates / neg_adj_templates / neg_csp_templates: prompts of negative nouns /
            adjectives / CSP's conjugated labels (``csp`` lines of the label file).
        neg_adjectives_first: stack the negative adjectives before the nouns (the AdaNeg
            release's order, which its group permutation is drawn over).
        scores: OOD score component configs (default: all six).
        cls_tau: temperature of the classification softmax.
    """

    def __init__(self,
                 clip: dict,
                 vocabulary: Union[str, Sequence] = 'imagenet_1k',
                 templates: Union[str, Sequence[str]] = ('the nice {}', ),
                 neg_labels: Optional[Union[str, Sequence[str]]] = None,
                 neg_noun_templates: Sequence[str] = ('the nice {}', ),
                 neg_adj_templates: Sequence[str] = ('This is a {} photo', ),
                 neg_csp_templates: Sequence[str] = CSP_TEMPLATES,
                 neg_adjectives_first: bool = False,
                 scores: Sequence = DEFAULT_SCORES,
                 cls_tau: float = 0.01,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=clip_data_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.clip = FrozenCLIP(**clip)
        self.scores = build_scores(scores)
        self.cls_tau = cls_tau
        self.vocabulary = Vocabulary.load(vocabulary)
        id_bank = self.build_id_bank(self.vocabulary, templates)
        self.num_classes = id_bank.shape[0]
        self.neg_perm = None
        if neg_labels is not None:
            if isinstance(neg_labels, str):
                neg_labels = read_neg_labels(neg_labels)
            csp = [s.name for s in self.scores if isinstance(s, CSPScore)]
            if csp and not getattr(neg_labels, 'conjugated', ()):
                from mmengine.logging import print_log
                print_log(f'{csp}: the negative labels hold no CSP conjugated label ("csp" '
                          'lines), so this is NegLabel\'s score on NegLabel\'s pool; mine the '
                          'pool with tools/ood/mine_neg_labels.py --method csp.',
                          logger='current', level=30)
            neg_bank = load_neg_bank(self.clip, neg_labels, neg_noun_templates,
                                     neg_adj_templates, neg_csp_templates,
                                     adjectives_first=neg_adjectives_first)
            neg_bank, self.neg_ordered = self._order_negatives(neg_bank)
        else:
            needing = [s.name for s in self.scores if s.needs_negatives]
            if needing:
                raise ValueError(f'Scores {needing} need negative labels: set `neg_labels` to '
                                 'a label file (tools/ood/mine_neg_labels.py writes one) or '
                                 'drop those scores.')
            neg_bank, self.neg_ordered = id_bank.new_zeros(0, id_bank.shape[1]), False
        self.num_negatives = neg_bank.shape[0]
        fixed = [s.name for s in self.scores if s.needs_local or s.stream]
        if fixed and type(self).similarities is not CLIPOODClassifier.similarities:
            raise ValueError(f'{type(self).__name__} changes the similarities; per-patch and '
                             f'stream scores ({fixed}) run over the fixed text bank of '
                             'CLIPOODClassifier only.')
        for s in self.scores:
            if s.stream:
                s.bind(id_bank, neg_bank, self.neg_ordered)
        # one bank, one matmul per batch for both similarity blocks
        self.register_buffer('text_bank', torch.cat([id_bank, neg_bank]), persistent=False)

    def build_id_bank(self, vocabulary: Vocabulary, templates) -> torch.Tensor:
        """L2-normalised text embeddings of the ID classes (``C x D``), by the model's
        :class:`~mmopen.clip.TextClassifier` over its CLIP."""
        self.text = TextClassifier(vocabulary, dict(model_name=self.clip.model_name,
                                                    weights=self.clip.weights), templates)
        self.text.share_clip(self.clip)
        return self.text.embeddings(vocabulary)

    def _order_negatives(self, neg_bank: torch.Tensor) -> Tuple[torch.Tensor, bool]:
        """Store the negatives in the order the scores read them (NegLabel's fixed group
        permutation), once, so no batch pays for a gather. Only possible when every score that
        reads negatives uses the same order. ``self.neg_perm`` records the permutation (row ``i``
        of the stored negatives is negative ``neg_perm[i]`` of the label file), or ``None``."""
        self.neg_perm = None
        n = neg_bank.shape[0]
        orders = [s.neg_order(n) for s in self.scores if s.needs_negatives]
        orders = [o for o in orders if o is not None]
        if not orders or any(not torch.equal(o, orders[0]) for o in orders[1:]):
            return neg_bank, False
        order = orders[0]
        rest = torch.ones(n, dtype=torch.bool)
        rest[order] = False
        perm = torch.cat([order, torch.nonzero(rest).flatten()])
        self.neg_perm = perm
        return neg_bank[perm], True

    def init_weights(self) -> None:
        # CLIP weights come from their file; the text bank is computed, not initialised.
        self._is_init = True

    def image_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised image embeddings (``B x D``, float32)."""
        return F.normalize(self.clip.encode_image(inputs).float(), dim=-1)

    def similarities(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Cosine similarities to the ID classes (``B x C``) and negatives (``B x N`` or
        ``None``)."""
        return self._split(self.image_features(inputs) @ self.text_bank.T)

    def _split(self, sims: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        neg = sims[:, self.num_classes:] if self.num_negatives else None
        return sims[:, :self.num_classes], neg

    def score_inputs(self, inputs: torch.Tensor) -> dict:
        """What the scores read: ``id_sims``, ``neg_sims``, the L2-normalised image ``features``
        and, when a score needs them (GL-MCM), the per-patch similarities to the ID classes
        ``local_sims`` (``B x P x C``, else ``None``), all from one pass of the image tower.
        Subclasses that change the similarities (prompt tuning, tuned negatives) get theirs
        from their own :meth:`similarities` (``features`` is then ``None``: per-patch and stream
        scores are refused for them when built)."""
        if type(self).similarities is not CLIPOODClassifier.similarities:
            id_sims, neg_sims = self.similarities(inputs)
            return dict(id_sims=id_sims, neg_sims=neg_sims, features=None, local_sims=None)
        local_sims = None
        if any(s.needs_local for s in self.scores):
            glob, local = self.clip.global_and_local(inputs)
            feats = F.normalize(glob.float(), dim=-1)
            local_sims = F.normalize(local.float(), dim=-1) @ self.text_bank[:self.num_classes].T
        else:
            feats = self.image_features(inputs)
        id_sims, neg_sims = self._split(feats @ self.text_bank.T)
        return dict(id_sims=id_sims, neg_sims=neg_sims, features=feats, local_sims=local_sims)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.similarities(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}.')

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        """Trainable subclasses (``EBMPromptClassifier``, ``SynOODClassifier``) define it."""
        raise RuntimeError('CLIPOODClassifier is a zero-shot model over a frozen CLIP: it '
                           'has nothing to train. Use tools/test.py (checkpoint "none"), or '
                           'EBMPromptClassifier / SynOODClassifier to tune it.')

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        from mmpretrain.structures import DataSample
        x = self.score_inputs(inputs)
        id_sims, neg_sims = x['id_sims'], x['neg_sims']
        probs = torch.softmax(id_sims / self.cls_tau, dim=1)
        labels = probs.argmax(dim=1)
        values = {s.name: s(id_sims, neg_sims, self.neg_ordered, x['local_sims']).cpu()
                  for s in self.scores if not s.stream}
        # test-time (stream) scores: per-sample inputs now, the stream in OODMetric
        streams = {s.name: s.stream_inputs(**x, neg_ordered=self.neg_ordered)
                   for s in self.scores if s.stream}
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        for i, ds in enumerate(data_samples):
            ds.set_pred_score(probs[i]).set_pred_label(labels[i])
            ds.set_field({k: float(v[i]) for k, v in values.items()}, 'ood_scores',
                         field_type='metainfo')
            if streams:
                ds.set_field({k: dict(v, inputs={n: t[i] for n, t in v['inputs'].items()})
                              for k, v in streams.items()}, 'ood_stream',
                             field_type='metainfo')
        return data_samples
