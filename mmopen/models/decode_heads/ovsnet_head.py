"""``OVSNetHead``: Mask2Former with open-vocabulary classification over a frozen CLIP, mask
pooling, Gradient-Free Aggregation and Proxy Calibration (OVSNet, Sec. 4)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor, nn

from mmopen.clip.vocabularies import load_vocabulary
from ..layers import gfa, mask_pool

FUSIONS = ('gfa', 'none', 'cross_attention', 'self_attention')


@MODELS.register_module()
class OVSNetHead(Mask2FormerHead):
    """Mask2Former decode head whose queries are classified against CLIP text embeddings.

    Per decoder layer and image, with ``N`` queries:

    1. ``F_Q`` = the query embeddings projected into the CLIP space (a linear layer);
    2. ``F_C`` = mask pooling (:func:`mask_pool`) of the backbone's dense CLIP embedding map
       (the last element of the backbone outputs: ``CLIPDenseBackbone(with_embeddings=True)``)
       under each predicted mask;
    3. fusion: ``'gfa'`` (:func:`mmopen.models.layers.gfa`, classifying with ``F_C^inf``),
       ``'none'`` (classify ``F_Q``: the open-vocabulary Mask2Former baseline, which also runs
       on backbones without a CLIP map), or learned ``'cross_attention'`` / ``'self_attention'``
       fusion (the paper's Table 4a ablation);
    4. logits = ``exp(logit_scale) * cos(fused, F_T)`` over the vocabulary's text embeddings
       ``F_T`` plus a learnable no-object logit.

    Semantic inference over any vocabulary: ``test_vocabulary`` in the config, or the dataset's
    (set by ``OpenVocabularyHook``), else the training vocabulary. Text embeddings come from
    ``mmopen.clip`` (computed once per vocabulary and cached on disk).

    Proxy Calibration (``loss_proxy=dict(type='ProxyCalibrationLoss')``) uses the final layer's
    Hungarian-matched queries: their ``F_Q``, the fusion output and the text embeddings of
    their ground-truth classes.

    Args:
        text_encoder: ``FrozenCLIP`` arguments of the CLIP whose text tower embeds the classes
            (the same model as the backbone's).
        vocabulary: training classes (shipped name, file, or list); ``num_classes`` follows.
        test_vocabulary: evaluation classes (default: the dataset's or the training ones).
        templates: prompt templates (``'vild'`` by default, as FC-CLIP / OVSNet).
        fusion: one of ``'gfa'``, ``'none'``, ``'cross_attention'``, ``'self_attention'``.
        gfa_cfg: ``lam`` (0.2), ``omega`` (0.5), ``norm`` ('softmax'), ``normalize`` (True).
        mask_pooling: ``'binary'`` (masks at logit > 0) or ``'sigmoid'``.
        loss_proxy: Proxy Calibration loss config, or ``None``.
        class_chunk: classes per chunk when the segmentor upsamples the semantic map.
    """

    def __init__(self,
                 text_encoder: dict,
                 vocabulary: Union[str, Sequence],
                 test_vocabulary: Optional[Union[str, Sequence]] = None,
                 templates: Union[str, Sequence[str]] = 'vild',
                 fusion: str = 'gfa',
                 gfa_cfg: Optional[dict] = None,
                 mask_pooling: str = 'binary',
                 loss_proxy: Optional[ConfigType] = dict(type='ProxyCalibrationLoss'),
                 logit_scale_init: float = 2.6592,
                 **kwargs):
        if fusion not in FUSIONS:
            raise ValueError(f'fusion={fusion!r}: use one of {FUSIONS}.')
        vocab = load_vocabulary(vocabulary)
        kwargs['num_classes'] = len(vocab)
        # class CE (weight 2), no-object class down-weighted to 0.1, as Mask2Former
        kwargs.setdefault('loss_cls', dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                                           loss_weight=2.0, reduction='mean',
                                           class_weight=[1.0] * len(vocab) + [0.1]))
        kwargs['loss_cls'] = ConfigDict(kwargs['loss_cls'])
        super().__init__(**kwargs)
        self.text_encoder_cfg = dict(text_encoder)
        self.templates = templates
        self.fusion = fusion
        self.gfa_cfg = dict(lam=0.2, omega=0.5, norm='softmax', normalize=True)
        self.gfa_cfg.update(gfa_cfg or {})
        self.mask_pooling = mask_pooling
        self._text_cache: Dict[tuple, Tensor] = {}
        self._text_clip = None
        train_emb = self.text_embeddings(vocab)
        embed_dim = train_emb.shape[1]
        self.register_buffer('train_text', train_emb, persistent=False)
        self.train_vocabulary = vocab
        self.test_vocabulary = (load_vocabulary(test_vocabulary)
                                if test_vocabulary is not None else None)
        self.fixed_test_vocabulary = test_vocabulary is not None
        feat_channels = kwargs['feat_channels']
        del self.cls_embed
        self.query_proj = nn.Linear(feat_channels, embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))
        self.void_logit = nn.Parameter(torch.zeros(()))
        if fusion in ('cross_attention', 'self_attention'):
            self.fusion_attn = nn.MultiheadAttention(embed_dim, 8 if embed_dim % 8 == 0 else 1,
                                                     batch_first=True)
            self.fusion_norm = nn.LayerNorm(embed_dim)
        self.loss_proxy = MODELS.build(loss_proxy) if loss_proxy is not None else None
        self.defer_upsampling = False  # set by OVSEncoderDecoder (chunked upsampling)
        self._clip_map: Optional[Tensor] = None
        self._stash: Optional[Tuple[Tensor, Tensor]] = None
        self._last_labels: Optional[List[Tensor]] = None

    # ------------------------------------------------------------------ vocabulary
    def _clip(self):
        if self._text_clip is None:
            from mmopen.clip import FrozenCLIP
            self._text_clip = FrozenCLIP(**self.text_encoder_cfg)
        return self._text_clip

    def text_embeddings(self, vocabulary: Union[str, Sequence]) -> Tensor:
        """``C x D`` normalised text embeddings of a vocabulary (memoised in the head, cached
        on disk by ``mmopen.clip``; the CLIP text tower is loaded only on a cache miss)."""
        vocab = load_vocabulary(vocabulary)
        key = tuple(tuple(names) for names in vocab)
        if key not in self._text_cache:
            emb = self._disk_cached(vocab) if self._text_clip is None else None
            if emb is None:
                emb = self._clip().text_embeddings(vocab, self.templates)
            self._text_cache[key] = emb
        return self._text_cache[key]

    def _disk_cached(self, vocab) -> Optional[Tensor]:
        """A disk-cached embedding, found without loading the CLIP (the key needs only the
        model name and the weight file's digest)."""
        from mmopen.clip.templates import resolve_templates
        from mmopen.clip.text import default_cache_dir, embedding_key, load_cached
        from mmopen.clip.weights import file_digest
        cfg = self.text_encoder_cfg
        cache_dir = cfg.get('cache_dir')
        if not cfg.get('weights') or cache_dir is False:
            return None
        key = embedding_key(cfg['model_name'], file_digest(cfg['weights']),
                            resolve_templates(self.templates), vocab)
        emb = load_cached(key, default_cache_dir() if cache_dir in (None, True) else cache_dir)
        return None if emb is None else emb.clone()

    def set_test_vocabulary(self, vocabulary: Union[str, Sequence]) -> None:
        """Evaluate over ``vocabulary`` (ignored when the config fixed ``test_vocabulary``)."""
        if not self.fixed_test_vocabulary:
            self.test_vocabulary = load_vocabulary(vocabulary)

    def _current_text(self, device) -> Tensor:
        if self.training or self.test_vocabulary is None:
            return self.train_text.to(device)
        return self.text_embeddings(self.test_vocabulary).to(device)

    # ------------------------------------------------------------------ forward
    def _fuse(self, f_q: Tensor, f_c: Optional[Tensor]) -> Tensor:
        if self.fusion == 'none':
            return f_q
        if f_c is None:
            raise ValueError(
                f"OVSNetHead(fusion={self.fusion!r}) needs the backbone's CLIP embedding map: "
                'use CLIPDenseBackbone(with_embeddings=True), or fusion="none".')
        if self.fusion == 'gfa':
            return gfa(f_q, f_c, **self.gfa_cfg).f_c
        if self.fusion == 'cross_attention':
            out, _ = self.fusion_attn(f_q, f_c, f_c, need_weights=False)
            return self.fusion_norm(f_q + out)
        tokens = torch.cat([f_q, f_c], dim=1)
        out, _ = self.fusion_attn(tokens, tokens, tokens, need_weights=False)
        return self.fusion_norm(f_q + out[:, :f_q.shape[1]])

    def _forward_head(self, decoder_out: Tensor, mask_feature: Tensor,
                      attn_mask_target_size: Tuple[int, int]) -> Tuple[Tensor]:
        decoder_out = self.transformer_decoder.post_norm(decoder_out)
        mask_embed = self.mask_embed(decoder_out)
        mask_pred = torch.einsum('bqc,bchw->bqhw', mask_embed, mask_feature)
        f_q = self.query_proj(decoder_out)
        f_c = None
        if self._clip_map is not None and self.fusion != 'none':
            f_c = mask_pool(self._clip_map, mask_pred, self.mask_pooling)
        fused = self._fuse(f_q, f_c)
        self._stash = (f_q, fused)
        text = self._current_text(fused.device)
        cos = F.normalize(fused, dim=-1) @ F.normalize(text, dim=-1).T.to(fused.dtype)
        cls_pred = torch.cat([self.logit_scale.exp() * cos,
                              self.void_logit.expand(*cos.shape[:2], 1)], dim=-1)
        attn_mask = F.interpolate(mask_pred, attn_mask_target_size, mode='bilinear',
                                  align_corners=False)
        attn_mask = attn_mask.flatten(2).unsqueeze(1).repeat(
            (1, self.num_heads, 1, 1)).flatten(0, 1)
        attn_mask = (attn_mask.sigmoid() < 0.5).detach()
        return cls_pred, mask_pred, attn_mask

    def forward(self, x: List[Tensor], batch_data_samples: SampleList):
        n_levels = getattr(self.pixel_decoder, 'num_input_levels', len(x))
        feats = list(x)
        if len(feats) > n_levels:  # the CLIP embedding map rides last
            self._clip_map = feats[-1]
            feats = feats[:n_levels]
        else:
            self._clip_map = None
        try:
            return super().forward(feats, batch_data_samples)
        finally:
            self._clip_map = None

    # ------------------------------------------------------------------ training
    def get_targets(self, *args, **kwargs):
        targets = super().get_targets(*args, **kwargs)
        self._last_labels = targets[0]  # the last call is the final decoder layer's
        return targets

    def loss_by_feat(self, all_cls_scores, all_mask_preds, batch_gt_instances,
                     batch_img_metas) -> Dict[str, Tensor]:
        losses = super().loss_by_feat(all_cls_scores, all_mask_preds, batch_gt_instances,
                                      batch_img_metas)
        if self.loss_proxy is not None and self.loss_proxy.loss_weight > 0:
            f_q, fused = self._stash
            labels = torch.stack(self._last_labels)  # B x N, num_classes = unmatched
            matched = labels < self.num_classes
            f_t = self.train_text.to(f_q.device)[labels[matched]]
            losses[self.loss_proxy.loss_name] = self.loss_proxy(
                f_q[matched], fused[matched].to(f_q.dtype), f_t.to(f_q.dtype))
        return losses

    # ------------------------------------------------------------------ inference
    def predict(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """Semantic logits ``sum_q softmax(cls)_q,c * sigmoid(mask)_q`` over the current
        vocabulary, computed at mask resolution; upsampled to the padded input size here
        unless the segmentor upsamples them chunk by chunk (``defer_upsampling``)."""
        from mmseg.structures import SegDataSample
        samples = [SegDataSample(metainfo=m) for m in batch_img_metas]
        all_cls, all_masks = self(x, samples)
        cls_score = F.softmax(all_cls[-1], dim=-1)[..., :-1]
        mask_pred = all_masks[-1].sigmoid()
        seg_logits = torch.einsum('bqc,bqhw->bchw', cls_score, mask_pred)
        if self.defer_upsampling:
            return seg_logits
        size = batch_img_metas[0].get('pad_shape', batch_img_metas[0]['img_shape'])
        return F.interpolate(seg_logits, size=size, mode='bilinear', align_corners=False)
