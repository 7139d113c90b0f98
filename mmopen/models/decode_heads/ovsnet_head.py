"""``OVSNetHead``: Mask2Former with open-vocabulary classification over a frozen CLIP, mask
pooling, Gradient-Free Aggregation and Proxy Calibration (OVSNet, Sec. 4)."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.models.utils import get_uncertain_point_coords_with_randomness
from mmdet.utils import reduce_mean
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, SampleList
from torch import Tensor, nn

from mmopen.clip.build import model_config
from mmopen.clip.dense import pooled_to_embedding
from mmopen.clip.text_classifier import TextClassifier
from mmopen.clip.vocabularies import Vocabulary
from mmopen.ovs import geometric_ensemble, gfa, mask_pool
from mmopen.ovs.labelled_points import (labelled_point_weights, sample_points,
                                        uncertain_point_coords, weighted_dice_loss)

FUSIONS = ('gfa', 'none', 'cross_attention', 'self_attention')
NO_OBJECT = ('embedding', 'scalar')
# a key of every image meta in training with ignore-aware mask losses: the ground truth's
# labelled pixels (``H x W``, False where the label map holds the ignore index)
LABELLED = 'ovsnet_labelled'


class LayerOutput(NamedTuple):
    """One decoder layer's outputs: logits ``B x N x (C + 1)``, mask logits ``B x N x h x w``,
    the next layer's attention mask, ``F_Q``, the fused embedding and ``F_C`` (``None``
    without mask pooling)."""
    cls: Tensor
    masks: Tensor
    attn_mask: Tensor
    f_q: Tensor
    fused: Tensor
    f_c: Optional[Tensor]


@MODELS.register_module()
class OVSNetHead(Mask2FormerHead):
    """Mask2Former decode head whose queries are classified against CLIP text embeddings.

    Per decoder layer and image, with ``N`` queries:

    1. ``F_Q`` = the query embeddings projected into the CLIP space (a linear layer);
    2. ``F_C`` = mask pooling as FC-CLIP: the last level's pre-head CLIP features (the last
       backbone output of ``CLIPDenseBackbone(with_pool_features=True)``) averaged under each
       predicted mask (binarised at logit > 0), then mapped by the tower's own head
       (:func:`mmopen.clip.dense.pooled_to_embedding`);
    3. fusion: ``'gfa'`` (:func:`mmopen.ovs.gfa`), ``'none'`` (classify ``F_Q``: the
       open-vocabulary Mask2Former baseline, which also runs on backbones without CLIP
       features), or learned ``'cross_attention'`` / ``'self_attention'`` (paper Table 4a);
    4. logits = ``exp(logit_scale) * cos(fused, [F_T; void])`` over the vocabulary's text
       embeddings ``F_T`` and a learnable no-object embedding (FC-CLIP), or with
       ``no_object='scalar'`` a learnable no-object logit shared by all queries.

    The text side is ``self.text``, a :class:`mmopen.clip.TextClassifier`: the training and
    evaluation vocabularies, their class banks and the seen mask. ``OVSEncoderDecoder`` shares
    the backbone's ``FrozenCLIP`` with it (:meth:`share_clip`); the head also maps pooled
    features with that CLIP's image head. The CLIP is never a submodule of the head. A head used
    without a shared CLIP (a stock ``EncoderDecoder``, ``fusion='none'``) encodes text with a
    text-only tower of ``text_encoder``, loaded only when the embedding cache misses.
    ``OpenVocabularyHook`` checks the training vocabulary against the training dataset and sets
    the evaluation vocabulary to the dataset's (unless ``test_vocabulary`` fixes it).

    The head keeps no state between calls: :meth:`forward` returns every layer's outputs
    (:class:`LayerOutput`), and :meth:`loss` / :meth:`predict_components` read what they need
    from them.

    Proxy Calibration (``loss_proxy=dict(type='ProxyCalibrationLoss')``) uses the final layer's
    Hungarian-matched queries: their ``F_Q``, the fusion output (none without fusion) and the
    text embeddings of their ground-truth classes.

    Mask losses: Mask2Former's point-sampled BCE and dice, and its matching costs. With
    ``ignore_aware_mask_loss=True`` points on pixels labelled ``ignore_index`` contribute
    nothing to them (:mod:`mmopen.ovs.labelled_points`): a training set that labels its held-out
    (unseen) classes ignore then no longer teaches every mask to cut those objects out.
    ``None`` (default) lets ``OpenVocabularyHook`` decide: on when the training dataset labels
    annotated classes ignore (``VocabSegDataset(annotation_vocabulary=...)`` with classes
    held out), off otherwise (Mask2Former's and FC-CLIP's losses, as for COCO-Panoptic).

    Inference follows Mask2Former: mask logits are upsampled to the input size, then the sigmoid
    and ``sum_q softmax(cls)_q,c * sigmoid(mask)_q``. ``ensemble=dict(alpha=0.4, beta=0.8)``
    adds FC-CLIP's geometric ensemble with the mask-pooled CLIP classifier (off by default).

    Args:
        vocabulary: training classes (shipped name, file, or list); ``num_classes`` follows.
        text_encoder: ``dict(model_name=..., weights=...)`` of the CLIP (the backbone's;
            ``OVSEncoderDecoder`` sets it from its backbone when a config leaves it out).
        test_vocabulary: fixed evaluation classes (default: the dataset's / the training ones).
        templates: prompt templates (``'vild'`` by default, as FC-CLIP / OVSNet).
        fusion: one of ``'gfa'``, ``'none'``, ``'cross_attention'``, ``'self_attention'``.
        gfa_cfg: :func:`mmopen.ovs.gfa` arguments (``reading``, default
            ``'per_query'``, ``lam``, ``omega``, ``temperature``, ``normalize``) and
            ``output``: classify ``'f_q'`` (``F_Q^inf``, the aggregated query embedding,
            default) or ``'f_c'`` (``F_C^inf`` of eq. 4; see the GFA module for why). The
            default (``per_query``, ``f_q``, ``omega=0.5``) classifies the fixed blend
            ``normalize(F_Q + 0.5 F_C)``: ``lam`` and ``temperature`` do not enter it.
        mask_pooling: ``'binary'`` (masks at logit > 0, FC-CLIP) or ``'sigmoid'``.
        pool_at: ``'features'`` (masks resized to the CLIP map, FC-CLIP) or ``'masks'`` (the
            CLIP map resized to the masks; for coarse CLIP maps on small images, see
            :func:`mmopen.ovs.mask_pool`).
        no_object: ``'embedding'`` (default) or ``'scalar'``.
        ensemble: ``None`` or ``dict(alpha, beta)`` for FC-CLIP's in-/out-of-vocabulary
            geometric ensemble at inference.
        ignore_aware_mask_loss: skip ignored pixels in the mask losses and matching costs
            (``True``), keep Mask2Former's (``False``), or let ``OpenVocabularyHook`` decide
            from the training set (``None``; ``False`` when no hook decides).
        loss_proxy: Proxy Calibration loss config, or ``None``.
        logit_scale_init: initial ``log`` of the logit scale (``log(1 / 0.07)``).
    """

    def __init__(self,
                 vocabulary: Union[Vocabulary, str, Sequence],
                 text_encoder: dict,
                 test_vocabulary: Optional[Union[Vocabulary, str, Sequence]] = None,
                 templates: Union[str, Sequence[str]] = 'vild',
                 fusion: str = 'gfa',
                 gfa_cfg: Optional[dict] = None,
                 mask_pooling: str = 'binary',
                 pool_at: str = 'features',
                 no_object: str = 'embedding',
                 ensemble: Optional[dict] = None,
                 ignore_aware_mask_loss: Optional[bool] = None,
                 loss_proxy: Optional[ConfigType] = dict(type='ProxyCalibrationLoss'),
                 logit_scale_init: float = 2.6592,
                 **kwargs):
        if fusion not in FUSIONS:
            raise ValueError(f'fusion={fusion!r}: use one of {FUSIONS}.')
        if no_object not in NO_OBJECT:
            raise ValueError(f'no_object={no_object!r}: use one of {NO_OBJECT}.')
        text = TextClassifier(vocabulary, text_encoder, templates, test_vocabulary)
        vocab = text.train_vocabulary
        kwargs['num_classes'] = _check_class_counts(vocab, kwargs)
        super().__init__(**kwargs)
        self.text = text
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
        self.ignore_aware_mask_loss = ignore_aware_mask_loss
        if ignore_aware_mask_loss:
            self.check_ignore_aware_losses()
        self.expect_pool: Optional[bool] = None  # set once by OVSEncoderDecoder
        embed_dim = int(model_config(text_encoder['model_name'])['embed_dim'])
        del self.cls_embed
        self.query_proj = nn.Linear(kwargs['feat_channels'], embed_dim)
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

    def share_clip(self, clip) -> None:
        """Use ``clip`` (the backbone's ``FrozenCLIP``) for the text banks and for mapping
        pooled features; it stays owned by the backbone."""
        self.text.share_clip(clip)

    # ------------------------------------------------------------------ one layer
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

    def pooled_clip_embeddings(self, pool_map: Optional[Tensor], mask_pred: Tensor) -> Tensor:
        """``F_C^0`` (``B x N x D``): the pooling features ``pool_map`` averaged under each
        mask, mapped by the CLIP tower's head (FC-CLIP)."""
        clip = self.text.clip
        if pool_map is None or clip is None or getattr(clip, 'text_only', False):
            raise ValueError(
                f"OVSNetHead(fusion={self.fusion!r}) needs the backbone's CLIP pooling features "
                'and the CLIP itself: use OVSEncoderDecoder with '
                'CLIPDenseBackbone(with_pool_features=True), or fusion="none".')
        pooled = mask_pool(pool_map, mask_pred.detach() if self.mask_pooling == 'binary'
                           else mask_pred, self.mask_pooling, self.pool_at)
        dtype = next(clip.visual.parameters()).dtype
        return pooled_to_embedding(clip.visual, pooled.to(dtype)).float()

    def classify(self, fused: Tensor, text: Tensor) -> Tensor:
        """``B x N x (C + 1)`` logits: scaled cosine similarity to the classes, no-object last."""
        scale = self.logit_scale.exp().clamp(max=100)
        fused = F.normalize(fused, dim=-1)
        if self.no_object == 'embedding':
            bank = torch.cat([text.to(fused.dtype), self.void_embedding[None].to(fused.dtype)])
            return scale * fused @ F.normalize(bank, dim=-1).T
        cos = fused @ F.normalize(text, dim=-1).T.to(fused.dtype)
        return torch.cat([scale * cos, self.void_logit.expand(*cos.shape[:2], 1)], dim=-1)

    def _layer(self, query: Tensor, mask_feature: Tensor, size: Tuple[int, int],
               pool_map: Optional[Tensor], text: Tensor) -> LayerOutput:
        """Mask2Former's per-layer head with OVSNet's classification (steps 1-4 above)."""
        query = self.transformer_decoder.post_norm(query)
        mask_pred = torch.einsum('bqc,bchw->bqhw', self.mask_embed(query), mask_feature)
        f_q = self.query_proj(query)
        needs_clip = self.fusion != 'none' or (self.ensemble is not None and not self.training)
        f_c = self.pooled_clip_embeddings(pool_map, mask_pred) if needs_clip else None
        fused = self._fuse(f_q, f_c)
        attn_mask = F.interpolate(mask_pred, size, mode='bilinear', align_corners=False)
        attn_mask = attn_mask.flatten(2).unsqueeze(1).repeat((1, self.num_heads, 1, 1))
        attn_mask = (attn_mask.flatten(0, 1).sigmoid() < 0.5).detach()
        return LayerOutput(self.classify(fused, text), mask_pred, attn_mask, f_q, fused, f_c)

    # ------------------------------------------------------------------ forward
    def forward(self, x: List[Tensor], batch_data_samples: SampleList = None
                ) -> List[LayerOutput]:
        """Mask2Former's decoder (mmdet's ``Mask2FormerHead.forward``) with every layer's
        :class:`LayerOutput`; the CLIP pooling features, when the backbone gives them, ride
        last in ``x``."""
        n_levels = getattr(self.pixel_decoder, 'num_input_levels', len(x))
        if self.expect_pool is not None and len(x) != n_levels + int(self.expect_pool):
            raise ValueError(
                f'OVSNetHead: the backbone gives {len(x)} feature maps but the head expects '
                f'{n_levels + int(self.expect_pool)} ({n_levels} pixel-decoder levels from '
                'in_channels' + (' + the CLIP pooling features' if self.expect_pool else '')
                + '): make in_channels list one width per backbone level (e.g. '
                'CLIPDenseBackbone out_indices).')
        pool_map = x[-1] if len(x) > n_levels else None
        mask_features, memories = self.pixel_decoder(list(x[:n_levels]))
        batch = mask_features.shape[0]
        keys, key_pos = [], []
        for i in range(self.num_transformer_feat_level):
            key = self.decoder_input_projs[i](memories[i]).flatten(2).permute(0, 2, 1)
            keys.append(key + self.level_embed.weight[i].view(1, 1, -1))
            pad = key.new_zeros((batch, ) + memories[i].shape[-2:], dtype=torch.bool)
            key_pos.append(self.decoder_positional_encoding(pad).flatten(2).permute(0, 2, 1))
        query = self.query_feat.weight.unsqueeze(0).repeat((batch, 1, 1))
        query_pos = self.query_embed.weight.unsqueeze(0).repeat((batch, 1, 1))
        text = self.text.bank(self.training)
        outs = [self._layer(query, mask_features, memories[0].shape[-2:], pool_map, text)]
        for i in range(self.num_transformer_decoder_layers):
            level = i % self.num_transformer_feat_level
            attn_mask = outs[-1].attn_mask
            attn_mask = attn_mask & (attn_mask.sum(-1) != attn_mask.shape[-1]).unsqueeze(-1)
            query = self.transformer_decoder.layers[i](
                query=query, key=keys[level], value=keys[level], query_pos=query_pos,
                key_pos=key_pos[level], cross_attn_mask=attn_mask,
                query_key_padding_mask=None, key_padding_mask=None)
            size = memories[(i + 1) % self.num_transformer_feat_level].shape[-2:]
            outs.append(self._layer(query, mask_features, size, pool_map, text))
        return outs

    # ------------------------------------------------------------------ training
    def check_ignore_aware_losses(self) -> None:
        """The ignore-aware mask losses reimplement mmdet's sigmoid BCE and dice with point
        weights: refuse other mask losses rather than silently replace them."""
        mask, dice = self.loss_mask, self.loss_dice
        if not (type(mask).__name__ == 'CrossEntropyLoss' and getattr(mask, 'use_sigmoid', 0)
                and type(dice).__name__ == 'DiceLoss' and getattr(dice, 'use_sigmoid', 0)
                and getattr(dice, 'activate', 0)):
            raise ValueError(
                'OVSNetHead(ignore_aware_mask_loss=True) weighs the points of '
                "loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True) and "
                "loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True); this "
                f'head has {type(mask).__name__} and {type(dice).__name__}: use those losses or '
                'set ignore_aware_mask_loss=False.')

    def _seg_data_to_instance_data(self, batch_data_samples: SampleList):
        """mmseg's conversion, plus each image's labelled pixels (:data:`LABELLED`) when the
        mask losses skip ignored ones."""
        gt_instances, img_metas = super()._seg_data_to_instance_data(batch_data_samples)
        if self.ignore_aware_mask_loss:
            img_metas = [dict(m, **{LABELLED: s.gt_sem_seg.data[0] != self.ignore_index})
                         for m, s in zip(img_metas, batch_data_samples)]
        return gt_instances, img_metas

    def _get_targets_single(self, cls_score: Tensor, mask_pred: Tensor, gt_instances,
                            img_meta: dict):
        """mmdet's targets of one image; with its labelled pixels in ``img_meta``, the matching
        costs are computed on the uniform points that fall on labelled pixels only, and the
        image's labelled map rides along (one per positive query) for the mask losses."""
        labelled = img_meta.get(LABELLED)
        if labelled is None:
            return super()._get_targets_single(cls_score, mask_pred, gt_instances, img_meta)
        gt_labels, gt_masks = gt_instances.labels, gt_instances.masks
        num_queries, num_gts = cls_score.shape[0], gt_labels.shape[0]
        coords = torch.rand((1, self.num_points, 2), device=cls_score.device)
        keep = labelled_point_weights(labelled[None], coords)[0] > 0
        if keep.any():  # no labelled point at all: match on every point, as mmdet
            coords = coords[:, keep]
        assign_result = self.assigner.assign(
            pred_instances=InstanceData(
                scores=cls_score, masks=sample_points(mask_pred, coords.expand(num_queries,
                                                                               -1, -1))),
            gt_instances=InstanceData(
                labels=gt_labels, masks=sample_points(gt_masks.float(),
                                                      coords.expand(num_gts, -1, -1))),
            img_meta=img_meta)
        sampling_result = self.sampler.sample(
            assign_result=assign_result,
            pred_instances=InstanceData(scores=cls_score, masks=mask_pred),
            gt_instances=gt_instances)
        pos_inds, gt_inds = sampling_result.pos_inds, sampling_result.pos_assigned_gt_inds
        labels = gt_labels.new_full((self.num_queries, ), self.num_classes, dtype=torch.long)
        labels[pos_inds] = gt_labels[gt_inds]
        mask_weights = mask_pred.new_zeros((self.num_queries, ))
        mask_weights[pos_inds] = 1.0
        return (labels, gt_labels.new_ones((self.num_queries, )), gt_masks[gt_inds],
                mask_weights, pos_inds, sampling_result.neg_inds, sampling_result,
                labelled[None].expand(len(gt_inds), -1, -1))

    def _loss_by_feat_single(self, cls_scores: Tensor, mask_preds: Tensor,
                             batch_gt_instances, batch_img_metas: List[dict]):
        """The losses of one decoder layer and the labels its queries were matched to:
        ``(loss_cls, loss_mask, loss_dice, labels)``, ``labels`` ``B x N`` (``num_classes`` =
        unmatched). mmdet's Mask2Former losses, step for step; with the images' labelled
        pixels, the mask BCE and dice weigh each point by :func:`labelled_point_weights`
        (mmdet's normalisation kept) and the uncertain points are drawn among labelled ones."""
        targets = self.get_targets(list(cls_scores), list(mask_preds), batch_gt_instances,
                                   batch_img_metas)
        labels, label_weights, mask_targets, mask_weights, avg_factor = targets[:5]
        labelled = targets[5] if batch_img_metas and LABELLED in batch_img_metas[0] else None
        labels = torch.stack(labels)
        flat_labels, flat_scores = labels.flatten(0, 1), cls_scores.flatten(0, 1)
        class_weight = flat_scores.new_tensor(self.class_weight)
        loss_cls = self.loss_cls(flat_scores, flat_labels,
                                 torch.stack(label_weights).flatten(0, 1),
                                 avg_factor=class_weight[flat_labels].sum())
        num_total_masks = max(reduce_mean(flat_scores.new_tensor([avg_factor])), 1)
        mask_preds = mask_preds[torch.stack(mask_weights) > 0]
        mask_targets = torch.cat(mask_targets)
        if mask_targets.shape[0] == 0:  # no query matched
            return loss_cls, mask_preds.sum(), mask_preds.sum(), labels
        if labelled is None:
            loss_mask, loss_dice = self._mask_losses(mask_preds, mask_targets, num_total_masks)
        else:
            loss_mask, loss_dice = self._labelled_mask_losses(
                mask_preds, mask_targets, torch.cat(labelled), num_total_masks)
        return loss_cls, loss_mask, loss_dice, labels

    def _mask_losses(self, mask_preds: Tensor, mask_targets: Tensor,
                     num_total_masks) -> Tuple[Tensor, Tensor]:
        """mmdet's mask BCE and dice on uncertain points (Mask2Former, Sec. 3.3)."""
        with torch.no_grad():
            coords = get_uncertain_point_coords_with_randomness(
                mask_preds.unsqueeze(1), None, self.num_points, self.oversample_ratio,
                self.importance_sample_ratio)
            point_targets = point_sample(mask_targets.unsqueeze(1).float(), coords).squeeze(1)
        point_preds = point_sample(mask_preds.unsqueeze(1), coords).squeeze(1)
        loss_dice = self.loss_dice(point_preds, point_targets, avg_factor=num_total_masks)
        loss_mask = self.loss_mask(point_preds.reshape(-1), point_targets.reshape(-1),
                                   avg_factor=num_total_masks * self.num_points)
        return loss_mask, loss_dice

    def _labelled_mask_losses(self, mask_preds: Tensor, mask_targets: Tensor,
                              labelled: Tensor, num_total_masks) -> Tuple[Tensor, Tensor]:
        """The mask BCE and dice with ignored pixels out: points drawn among labelled pixels,
        each weighed by :func:`labelled_point_weights`."""
        with torch.no_grad():
            coords = uncertain_point_coords(mask_preds, labelled, self.num_points,
                                            self.oversample_ratio, self.importance_sample_ratio)
            point_targets = sample_points(mask_targets.float(), coords)
            weights = labelled_point_weights(labelled, coords)
        point_preds = sample_points(mask_preds, coords)
        dice = weighted_dice_loss(point_preds, point_targets, weights, self.loss_dice.eps,
                                  self.loss_dice.naive_dice)
        loss_dice = self.loss_dice.loss_weight * weight_reduce_loss(
            dice, None, 'mean', num_total_masks)
        loss_mask = self.loss_mask(point_preds.reshape(-1), point_targets.reshape(-1),
                                   weights.reshape(-1),
                                   avg_factor=num_total_masks * self.num_points)
        return loss_mask, loss_dice

    def losses_and_matches(self, all_cls_scores: List[Tensor], all_mask_preds: List[Tensor],
                           batch_gt_instances, batch_img_metas: List[dict]
                           ) -> Tuple[Dict[str, Tensor], Tensor]:
        """mmdet's ``loss_by_feat`` (the final layer's losses, then ``d{i}.``-prefixed ones of
        the others, in mmdet's order) and the final layer's matched labels (``B x N``), which
        the Proxy Calibration loss pairs with the text embeddings."""
        layers = [self._loss_by_feat_single(c, m, batch_gt_instances, batch_img_metas)
                  for c, m in zip(all_cls_scores, all_mask_preds)]
        names = ('loss_cls', 'loss_mask', 'loss_dice')
        losses = dict(zip(names, layers[-1][:3]))
        for i, layer in enumerate(layers[:-1]):
            losses.update({f'd{i}.{name}': value for name, value in zip(names, layer[:3])})
        return losses, layers[-1][3]

    def loss_by_feat(self, all_cls_scores, all_mask_preds, batch_gt_instances,
                     batch_img_metas) -> Dict[str, Tensor]:
        """mmdet's ``loss_by_feat``: the losses of every decoder layer."""
        return self.losses_and_matches(all_cls_scores, all_mask_preds, batch_gt_instances,
                                       batch_img_metas)[0]

    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> Dict[str, Tensor]:
        """Mask2Former's losses (+ Proxy Calibration), computed in fp32 with autocast off: under
        ``--amp`` the head's outputs are fp16, and the matching costs, the point-sampled BCE
        and the dice sums over 12,544 points per mask are not safe in half precision."""
        gt_instances, img_metas = self._seg_data_to_instance_data(batch_data_samples)
        outs = self(x, batch_data_samples)
        with torch.autocast(device_type=outs[-1].masks.device.type, enabled=False):
            losses, labels = self.losses_and_matches(
                [o.cls.float() for o in outs], [o.masks.float() for o in outs], gt_instances,
                img_metas)
            if self.loss_proxy is not None and self.loss_proxy.loss_weight > 0:
                final = outs[-1]
                hit = labels < self.num_classes
                f_t = self.text.bank(True).to(final.f_q.device)[labels[hit]].float()
                f_c = None if self.fusion == 'none' else final.fused[hit].float()
                value, stats = self.loss_proxy(final.f_q[hit].float(), f_c, f_t,
                                               return_stats=True)
                losses[self.loss_proxy.loss_name] = value
                # logged with the losses (names without 'loss' are not summed into the total)
                losses['pc_pairs'] = value.new_tensor(float(stats['pairs'])).detach()
                losses['pc_alpha'] = value.new_tensor(float(stats['alpha_mean'])).detach()
        return losses

    # ------------------------------------------------------------------ inference
    def predict_components(self, x: Tuple[Tensor], batch_img_metas: List[dict]
                           ) -> Tuple[Tensor, Tensor]:
        """The final layer's class probabilities over the current vocabulary (``B x N x C``,
        the no-object class dropped, FC-CLIP's ensemble applied if configured) and mask logits
        (``B x N x h x w``, at mask resolution)."""
        final = self(x, [SegDataSample(metainfo=m) for m in batch_img_metas])[-1]
        if self.ensemble is None:
            return F.softmax(final.cls, dim=-1)[..., :-1], final.masks
        seen = None if self.training else self.text.seen()
        return geometric_ensemble(final.cls, self.clip_logits(final.f_c), seen,
                                  **self.ensemble), final.masks

    def clip_logits(self, f_c: Tensor) -> Tensor:
        """The frozen CLIP's logits (``... x C``) of mask-pooled embeddings ``F_C`` over the
        current vocabulary: CLIP's own logit scale times the cosine (FC-CLIP's
        out-of-vocabulary classifier)."""
        text = self.text.bank(self.training)
        clip_scale = self.text.clip.model.logit_scale.exp().clamp(max=100).float()
        return clip_scale * F.normalize(f_c.float(), dim=-1) @ text.T.to(f_c.device)

    def classify_regions(self, x: Sequence[Tensor], region_masks: Tensor) -> Tensor:
        """The frozen CLIP's logits (``B x R x C``) of given regions (``B x R x h x w``
        booleans at the head's mask resolution): mask pooling under them, as for the
        predicted masks. With ground-truth regions this is the ceiling of what the CLIP
        classifier can name given perfect masks (``OVSEncoderDecoder`` with
        ``test_cfg=dict(masks='ground_truth')``)."""
        logits = region_masks.float() * 2 - 1  # binarised at > 0 like mask logits
        return self.clip_logits(self.pooled_clip_embeddings(x[-1], logits))

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
                f'no_object={self.no_object}, classes={len(self.text.train_vocabulary)}')


def _check_class_counts(vocab: Vocabulary, kwargs: dict) -> int:
    """``num_classes`` from the training vocabulary, refusing a config that says otherwise,
    and Mask2Former's class loss by default (CE weight 2, the no-object class at 0.1)."""
    given = kwargs.get('num_classes')
    if given is not None and given != len(vocab):
        raise ValueError(
            f'OVSNetHead: num_classes={given} but the training vocabulary ({vocab.source}) '
            f'has {len(vocab)} classes. The head takes its classes from the vocabulary: set '
            f'decode_head.num_classes={len(vocab)} or None (a stock Mask2Former config sets '
            f'150), or use a {given}-class vocabulary.')
    kwargs.setdefault('loss_cls', dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                                       loss_weight=2.0, reduction='mean',
                                       class_weight=[1.0] * len(vocab) + [0.1]))
    kwargs['loss_cls'] = ConfigDict(kwargs['loss_cls'])
    weight = kwargs['loss_cls'].get('class_weight')
    if weight is not None and len(weight) != len(vocab) + 1:
        raise ValueError(
            f'OVSNetHead: loss_cls.class_weight has {len(weight)} entries but the vocabulary '
            f'({vocab.source}) has {len(vocab)} classes (+ 1 no-object = {len(vocab) + 1}): '
            f'give {len(vocab) + 1} weights, e.g. class_weight=[1.0] * {len(vocab)} + [0.1], '
            'or drop loss_cls for that default.')
    return len(vocab)
