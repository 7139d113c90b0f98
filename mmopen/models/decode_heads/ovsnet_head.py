"""``OVSNetHead``: Mask2Former with open-vocabulary classification over a frozen CLIP, mask
pooling, Gradient-Free Aggregation and Proxy Calibration (OVSNet, Sec. 4)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor, nn

from mmopen.clip.build import model_config
from mmopen.clip.dense import pooled_to_embedding
from mmopen.clip.vocabularies import load_vocabulary, seen_mask
from ..layers import gfa, mask_pool
from .vocabulary_ensemble import geometric_ensemble

FUSIONS = ('gfa', 'none', 'cross_attention', 'self_attention')
NO_OBJECT = ('embedding', 'scalar')


def _name(vocabulary) -> str:
    return repr(vocabulary) if isinstance(vocabulary, str) else '(a list)'


@MODELS.register_module()
class OVSNetHead(Mask2FormerHead):
    """Mask2Former decode head whose queries are classified against CLIP text embeddings.

    Per decoder layer and image, with ``N`` queries:

    1. ``F_Q`` = the query embeddings projected into the CLIP space (a linear layer);
    2. ``F_C`` = mask pooling as FC-CLIP: the last level's pre-head CLIP features (the last
       backbone output of ``CLIPDenseBackbone(with_pool_features=True)``) averaged under each
       predicted mask (binarised at logit > 0), then mapped by the tower's own head
       (:func:`mmopen.clip.dense.pooled_to_embedding`);
    3. fusion: ``'gfa'`` (:func:`mmopen.models.layers.gfa`), ``'none'`` (classify ``F_Q``: the
       open-vocabulary Mask2Former baseline, which also runs on backbones without CLIP
       features), or learned ``'cross_attention'`` / ``'self_attention'`` (paper Table 4a);
    4. logits = ``exp(logit_scale) * cos(fused, [F_T; void])`` over the vocabulary's text
       embeddings ``F_T`` and a learnable no-object embedding (FC-CLIP), or with
       ``no_object='scalar'`` a learnable no-object logit shared by all queries.

    The CLIP comes from the backbone: ``OVSEncoderDecoder`` hands the backbone's ``FrozenCLIP``
    to the head (:meth:`share_clip`), which encodes the vocabularies with its text tower and
    maps pooled features with its image head. It is never a submodule of the head (it is not in
    the head's parameters or checkpoints, and it is not moved twice). A head used without a
    shared CLIP (a stock ``EncoderDecoder``, ``fusion='none'``) encodes text with a text-only
    tower of ``text_encoder``, loaded only when the embedding cache misses.

    Vocabularies: ``vocabulary`` is the training classes (``OpenVocabularyHook`` checks it
    against the training dataset before training); the evaluation classes are
    ``test_vocabulary`` if the config fixes it, else the dataset's (``OpenVocabularyHook``), else
    the training ones. :meth:`set_test_vocabulary` encodes them once into a buffer.

    Proxy Calibration (``loss_proxy=dict(type='ProxyCalibrationLoss')``) uses the final layer's
    Hungarian-matched queries: their ``F_Q``, the fusion output (none without fusion) and the
    text embeddings of their ground-truth classes.

    Inference follows Mask2Former: mask logits are upsampled to the input size, then the sigmoid
    and ``sum_q softmax(cls)_q,c * sigmoid(mask)_q``. ``ensemble=dict(alpha=0.4, beta=0.8)``
    adds FC-CLIP's geometric ensemble with the mask-pooled CLIP classifier (off by default).

    Args:
        vocabulary: training classes (shipped name, file, or list); ``num_classes`` follows.
        text_encoder: ``dict(model_name=..., weights=...)`` of the CLIP (the backbone's).
        test_vocabulary: fixed evaluation classes (default: the dataset's / the training ones).
        templates: prompt templates (``'vild'`` by default, as FC-CLIP / OVSNet).
        fusion: one of ``'gfa'``, ``'none'``, ``'cross_attention'``, ``'self_attention'``.
        gfa_cfg: :func:`mmopen.models.layers.gfa` arguments (``reading``, default
            ``'per_query'``, ``lam``, ``omega``, ``temperature``, ``normalize``) and
            ``output``: classify ``'f_q'`` (``F_Q^inf``, the aggregated query embedding,
            default) or ``'f_c'`` (``F_C^inf`` of eq. 4; see the GFA module for why). The
            default (``per_query``, ``f_q``, ``omega=0.5``) classifies the fixed blend
            ``normalize(F_Q + 0.5 F_C)``: ``lam`` and ``temperature`` do not enter it.
        mask_pooling: ``'binary'`` (masks at logit > 0, FC-CLIP) or ``'sigmoid'``.
        pool_at: ``'features'`` (masks resized to the CLIP map, FC-CLIP) or ``'masks'`` (the
            CLIP map resized to the masks; for coarse CLIP maps on small images, see
            :func:`mmopen.models.layers.mask_pool`).
        no_object: ``'embedding'`` (default) or ``'scalar'``.
        ensemble: ``None`` or ``dict(alpha, beta)`` for FC-CLIP's in-/out-of-vocabulary
            geometric ensemble at inference.
        loss_proxy: Proxy Calibration loss config, or ``None``.
        logit_scale_init: initial ``log`` of the logit scale (``log(1 / 0.07)``).
    """

    def __init__(self,
                 vocabulary: Union[str, Sequence],
                 text_encoder: dict,
                 test_vocabulary: Optional[Union[str, Sequence]] = None,
                 templates: Union[str, Sequence[str]] = 'vild',
                 fusion: str = 'gfa',
                 gfa_cfg: Optional[dict] = None,
                 mask_pooling: str = 'binary',
                 pool_at: str = 'features',
                 no_object: str = 'embedding',
                 ensemble: Optional[dict] = None,
                 loss_proxy: Optional[ConfigType] = dict(type='ProxyCalibrationLoss'),
                 logit_scale_init: float = 2.6592,
                 **kwargs):
        if fusion not in FUSIONS:
            raise ValueError(f'fusion={fusion!r}: use one of {FUSIONS}.')
        if no_object not in NO_OBJECT:
            raise ValueError(f'no_object={no_object!r}: use one of {NO_OBJECT}.')
        if not isinstance(text_encoder, dict) or 'model_name' not in text_encoder:
            raise ValueError('OVSNetHead needs text_encoder=dict(model_name=..., weights=...): '
                             f'the CLIP whose text tower embeds the classes (got {text_encoder!r}).')
        vocab = load_vocabulary(vocabulary)
        given = kwargs.get('num_classes')
        if given is not None and given != len(vocab):
            raise ValueError(
                f'OVSNetHead: num_classes={given} but the training vocabulary {_name(vocabulary)} '
                f'has {len(vocab)} classes. The head takes its classes from the vocabulary: set '
                f'decode_head.num_classes={len(vocab)} or None (a stock Mask2Former config sets '
                f'150), or use a {given}-class vocabulary.')
        kwargs['num_classes'] = len(vocab)
        # class CE (weight 2), no-object class down-weighted to 0.1, as Mask2Former
        kwargs.setdefault('loss_cls', dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                                           loss_weight=2.0, reduction='mean',
                                           class_weight=[1.0] * len(vocab) + [0.1]))
        kwargs['loss_cls'] = ConfigDict(kwargs['loss_cls'])
        weight = kwargs['loss_cls'].get('class_weight')
        if weight is not None and len(weight) != len(vocab) + 1:
            raise ValueError(
                f'OVSNetHead: loss_cls.class_weight has {len(weight)} entries but the vocabulary '
                f'{_name(vocabulary)} has {len(vocab)} classes (+ 1 no-object = '
                f'{len(vocab) + 1}): give {len(vocab) + 1} weights, e.g. '
                f'class_weight=[1.0] * {len(vocab)} + [0.1], or drop loss_cls for that default.')
        super().__init__(**kwargs)
        self.text_encoder_cfg = dict(text_encoder)
        self.templates = templates
        self.fusion = fusion
        self.gfa_cfg = dict(reading='per_query', lam=0.2, omega=0.5, temperature=0.05,
                            normalize=True)
        self.gfa_cfg.update(gfa_cfg or {})
        self.gfa_output = self.gfa_cfg.pop('output', 'f_q')
        if self.gfa_output not in ('f_c', 'f_q'):
            raise ValueError(f"gfa_cfg.output={self.gfa_output!r}: use 'f_c' or 'f_q'.")
        self.mask_pooling = mask_pooling
        self.pool_at = pool_at
        self.no_object = no_object
        self.ensemble = dict(ensemble) if ensemble else None
        self.train_vocabulary = vocab
        self.test_vocabulary = (load_vocabulary(test_vocabulary)
                                if test_vocabulary is not None else None)
        self.fixed_test_vocabulary = test_vocabulary is not None
        # text embeddings per vocabulary (CPU); the CLIP is shared, never registered
        self._text_cache: Dict[tuple, Tensor] = {}
        object.__setattr__(self, '_clip', None)
        self.register_buffer('train_text', None, persistent=False)
        self.register_buffer('test_text', None, persistent=False)
        self.register_buffer('test_seen', None, persistent=False)
        embed_dim = int(model_config(text_encoder['model_name'])['embed_dim'])
        feat_channels = kwargs['feat_channels']
        del self.cls_embed
        self.query_proj = nn.Linear(feat_channels, embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))
        if no_object == 'embedding':
            self.void_embedding = nn.Parameter(torch.randn(embed_dim) * embed_dim**-0.5)
        else:
            self.void_logit = nn.Parameter(torch.zeros(()))
        if fusion in ('cross_attention', 'self_attention'):
            self.fusion_attn = nn.MultiheadAttention(embed_dim, 8 if embed_dim % 8 == 0 else 1,
                                                     batch_first=True)
            self.fusion_norm = nn.LayerNorm(embed_dim)
        self.loss_proxy = MODELS.build(loss_proxy) if loss_proxy is not None else None
        self._pool_map: Optional[Tensor] = None
        self._stash: Optional[Tuple[Tensor, Tensor, Optional[Tensor]]] = None
        self._last_labels: Optional[List[Tensor]] = None

    # ------------------------------------------------------------------ the shared CLIP
    def share_clip(self, clip) -> None:
        """Use ``clip`` (the backbone's ``FrozenCLIP``) for text and for mapping pooled
        features; it stays owned by the backbone (not a submodule of the head)."""
        cfg = self.text_encoder_cfg

        def norm(path):
            return None if path is None else osp.realpath(osp.expanduser(str(path)))

        if clip.model_name != cfg['model_name'] or norm(clip.weights) != norm(cfg.get('weights')):
            raise ValueError(
                f"OVSNetHead.text_encoder ({cfg['model_name']}, {cfg.get('weights')!r}) is not "
                f'the backbone\'s CLIP ({clip.model_name}, {clip.weights!r}): mask-pooled CLIP '
                'features and text embeddings must come from one CLIP. Set '
                'model.decode_head.text_encoder to the backbone\'s model_name and weights.')
        object.__setattr__(self, '_clip', clip)

    def _text_clip(self):
        if self._clip is None:  # no backbone CLIP: a text-only tower, not registered
            from mmopen.clip import FrozenCLIP
            object.__setattr__(self, '_clip', FrozenCLIP(**self.text_encoder_cfg,
                                                         text_only=True))
        return self._clip

    def text_embeddings(self, vocabulary: Union[str, Sequence]) -> Tensor:
        """``C x D`` normalised text embeddings of a vocabulary (CPU), memoised in the head and
        cached on disk by ``mmopen.clip``; a CLIP text tower runs only on a cache miss."""
        from mmopen.clip import FrozenCLIP
        vocab = load_vocabulary(vocabulary)
        key = tuple(tuple(names) for names in vocab)
        if key not in self._text_cache:
            emb = None
            if self._clip is None:  # no CLIP yet: the cache may spare loading a text tower
                cfg = self.text_encoder_cfg
                emb = FrozenCLIP.cached_text_embeddings(cfg['model_name'], cfg.get('weights'),
                                                        vocab, self.templates,
                                                        cfg.get('cache_dir'))
            if emb is None:  # FrozenCLIP.text_embeddings looks in the cache itself
                emb = self._text_clip().text_embeddings(vocab, self.templates)
            self._text_cache[key] = emb.float().cpu()
        return self._text_cache[key]

    # ------------------------------------------------------------------ vocabularies
    def check_train_vocabulary(self, vocabulary: Sequence) -> None:
        """Raise unless ``vocabulary`` (the training dataset's classes) is this head's training
        vocabulary, class by class in the same order."""
        data = load_vocabulary(vocabulary)
        if [list(v) for v in data] != [list(v) for v in self.train_vocabulary]:
            def show(v):
                return [', '.join(names) for names in v[:8]] + (['...'] if len(v) > 8 else [])

            raise ValueError(
                'The training dataset\'s classes and OVSNetHead\'s training vocabulary differ: '
                f'dataset ({len(data)} classes) {show(data)} vs model.decode_head.vocabulary '
                f'({len(self.train_vocabulary)} classes) {show(self.train_vocabulary)}. The '
                'labels index the head\'s vocabulary: point both at the same vocabulary.')

    def set_test_vocabulary(self, vocabulary: Union[str, Sequence],
                            override_config: bool = False) -> None:
        """Evaluate over ``vocabulary``: encode it once into the ``test_text`` buffer. A
        ``test_vocabulary`` fixed in the config is kept unless ``override_config``."""
        if self.fixed_test_vocabulary and not override_config:
            vocabulary = self.test_vocabulary
        vocab = load_vocabulary(vocabulary)
        self.test_vocabulary = vocab
        device = self.query_proj.weight.device
        self.test_text = self.text_embeddings(vocab).to(device)
        self.test_seen = torch.tensor(seen_mask(vocab, self.train_vocabulary), device=device)

    def _current_text(self, device) -> Tensor:
        if self.training or (self.test_vocabulary is None and self.test_text is None):
            if self.train_text is None or self.train_text.device != device:
                self.train_text = self.text_embeddings(self.train_vocabulary).to(device)
            return self.train_text
        if self.test_text is None or self.test_text.device != device:
            self.set_test_vocabulary(self.test_vocabulary, override_config=True)
        return self.test_text

    # ------------------------------------------------------------------ forward
    def _fuse(self, f_q: Tensor, f_c: Optional[Tensor]) -> Tensor:
        if self.fusion == 'none':
            return f_q
        if self.fusion == 'gfa':
            out = gfa(f_q, f_c, **self.gfa_cfg)
            return out.f_c if self.gfa_output == 'f_c' else out.f_q
        if self.fusion == 'cross_attention':
            out, _ = self.fusion_attn(f_q, f_c, f_c, need_weights=False)
            return self.fusion_norm(f_q + out)
        tokens = torch.cat([f_q, f_c], dim=1)
        out, _ = self.fusion_attn(tokens, tokens, tokens, need_weights=False)
        return self.fusion_norm(f_q + out[:, :f_q.shape[1]])

    def pooled_clip_embeddings(self, mask_pred: Tensor) -> Tensor:
        """``F_C^0`` (``B x N x D``): the pooling features averaged under each mask, mapped by
        the CLIP tower's head (FC-CLIP)."""
        if self._pool_map is None or self._clip is None or getattr(self._clip, 'text_only',
                                                                   False):
            raise ValueError(
                f"OVSNetHead(fusion={self.fusion!r}) needs the backbone's CLIP pooling features "
                'and the CLIP itself: use OVSEncoderDecoder with '
                'CLIPDenseBackbone(with_pool_features=True), or fusion="none".')
        pooled = mask_pool(self._pool_map, mask_pred.detach() if self.mask_pooling == 'binary'
                           else mask_pred, self.mask_pooling, self.pool_at)
        visual = self._clip.visual
        dtype = next(visual.parameters()).dtype
        return pooled_to_embedding(visual, pooled.to(dtype)).float()

    def classify(self, fused: Tensor, text: Tensor) -> Tensor:
        """``B x N x (C + 1)`` logits: scaled cosine similarity to the classes, no-object last."""
        scale = self.logit_scale.exp().clamp(max=100)
        fused = F.normalize(fused, dim=-1)
        if self.no_object == 'embedding':
            bank = torch.cat([text.to(fused.dtype), self.void_embedding[None].to(fused.dtype)])
            return scale * fused @ F.normalize(bank, dim=-1).T
        cos = fused @ F.normalize(text, dim=-1).T.to(fused.dtype)
        return torch.cat([scale * cos, self.void_logit.expand(*cos.shape[:2], 1)], dim=-1)

    def _forward_head(self, decoder_out: Tensor, mask_feature: Tensor,
                      attn_mask_target_size: Tuple[int, int]) -> Tuple[Tensor]:
        decoder_out = self.transformer_decoder.post_norm(decoder_out)
        mask_embed = self.mask_embed(decoder_out)
        mask_pred = torch.einsum('bqc,bchw->bqhw', mask_embed, mask_feature)
        f_q = self.query_proj(decoder_out)
        needs_clip = self.fusion != 'none' or (self.ensemble is not None and not self.training)
        f_c = self.pooled_clip_embeddings(mask_pred) if needs_clip else None
        fused = self._fuse(f_q, f_c)
        self._stash = (f_q, fused, f_c)
        cls_pred = self.classify(fused, self._current_text(fused.device))
        attn_mask = F.interpolate(mask_pred, attn_mask_target_size, mode='bilinear',
                                  align_corners=False)
        attn_mask = attn_mask.flatten(2).unsqueeze(1).repeat(
            (1, self.num_heads, 1, 1)).flatten(0, 1)
        attn_mask = (attn_mask.sigmoid() < 0.5).detach()
        return cls_pred, mask_pred, attn_mask

    def expect_pool_features(self, expected: bool) -> None:
        """Set by :class:`OVSEncoderDecoder`: whether the backbone appends its pooling features
        to the pixel decoder's levels (then the count of backbone outputs is checked)."""
        self._expect_pool = bool(expected)

    def forward(self, x: List[Tensor], batch_data_samples: SampleList):
        n_levels = getattr(self.pixel_decoder, 'num_input_levels', len(x))
        feats = list(x)
        expect = getattr(self, '_expect_pool', None)
        if expect is not None and len(feats) != n_levels + int(expect):
            raise ValueError(
                f'OVSNetHead: the backbone gives {len(feats)} feature maps but the head expects '
                f'{n_levels + int(expect)} ({n_levels} pixel-decoder levels from in_channels'
                + (' + the CLIP pooling features' if expect else '') + '): make in_channels '
                'list one width per backbone level (e.g. CLIPDenseBackbone out_indices).')
        self._pool_map = feats[-1] if len(feats) > n_levels else None  # rides last
        try:
            return super().forward(feats[:n_levels], batch_data_samples)
        finally:
            self._pool_map = None

    # ------------------------------------------------------------------ training
    def get_targets(self, *args, **kwargs):
        targets = super().get_targets(*args, **kwargs)
        self._last_labels = targets[0]  # the last call is the final decoder layer's
        return targets

    def loss_by_feat(self, all_cls_scores, all_mask_preds, batch_gt_instances,
                     batch_img_metas) -> Dict[str, Tensor]:
        """Mask2Former's losses (+ Proxy Calibration), computed in fp32 with autocast off: under
        ``--amp`` the head's outputs are fp16, and the matching costs, the point-sampled BCE
        and the dice sums over 12,544 points per mask are not safe in half precision."""
        device = all_mask_preds[0].device.type
        with torch.autocast(device_type=device, enabled=False):
            losses = super().loss_by_feat([c.float() for c in all_cls_scores],
                                          [m.float() for m in all_mask_preds],
                                          batch_gt_instances, batch_img_metas)
            if self.loss_proxy is not None and self.loss_proxy.loss_weight > 0:
                f_q, fused, _ = self._stash
                f_q = f_q.float()
                labels = torch.stack(self._last_labels)  # B x N, num_classes = unmatched
                matched = labels < self.num_classes
                f_t = self.train_text.to(f_q.device)[labels[matched]]
                f_c = None if self.fusion == 'none' else fused[matched].float()
                losses[self.loss_proxy.loss_name] = self.loss_proxy(
                    f_q[matched], f_c, f_t.float())
        return losses

    # ------------------------------------------------------------------ inference
    def predict_components(self, x: Tuple[Tensor], batch_img_metas: List[dict]
                           ) -> Tuple[Tensor, Tensor]:
        """The final layer's class probabilities over the current vocabulary (``B x N x C``,
        the no-object class dropped, FC-CLIP's ensemble applied if configured) and mask logits
        (``B x N x h x w``, at mask resolution)."""
        from mmseg.structures import SegDataSample
        samples = [SegDataSample(metainfo=m) for m in batch_img_metas]
        all_cls, all_masks = self(x, samples)
        logits = all_cls[-1]
        if self.ensemble is not None:
            text = self._current_text(logits.device)
            clip_scale = self._clip.model.logit_scale.exp().clamp(max=100).float()
            clip_logits = clip_scale * F.normalize(self._stash[2], dim=-1) @ text.T
            probs = geometric_ensemble(logits, clip_logits, self.test_seen if not self.training
                                       and self.test_seen is not None else None,
                                       **self.ensemble)
        else:
            probs = F.softmax(logits, dim=-1)[..., :-1]
        return probs, all_masks[-1]

    def predict(self, x: Tuple[Tensor], batch_img_metas: List[dict], test_cfg: ConfigType,
                size: Optional[Sequence[int]] = None) -> Tensor:
        """Semantic logits over the current vocabulary at ``size`` (default: the padded input
        size, as mmseg's ``Mask2FormerHead``): the mask logits are upsampled first, then
        ``sum_q p(c | q) sigmoid(mask_q)``. Holds a ``C x H x W`` tensor: for large vocabularies
        ``OVSEncoderDecoder`` post-processes :meth:`predict_components` chunk by chunk."""
        probs, masks = self.predict_components(x, batch_img_metas)
        if size is None:
            meta = batch_img_metas[0]
            size = meta['pad_shape'] if 'pad_shape' in meta else meta['img_shape']
        masks = F.interpolate(masks, size=tuple(size), mode='bilinear', align_corners=False)
        return torch.einsum('bqc,bqhw->bchw', probs, masks.sigmoid())

    def extra_repr(self) -> str:
        return (f'fusion={self.fusion}, gfa={self.gfa_cfg if self.fusion == "gfa" else None}, '
                f'no_object={self.no_object}, classes={len(self.train_vocabulary)}')
