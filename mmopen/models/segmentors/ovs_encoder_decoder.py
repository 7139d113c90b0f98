"""An EncoderDecoder for open-vocabulary heads: one CLIP per model, and semantic maps over large
vocabularies without a full-resolution tensor per class."""
import inspect
import logging
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from mmopen.ovs.semantic_maps import chunked_semantic_argmax
from ..backbones import CLIPDenseBackbone
from ..decode_heads import OVSNetHead


def _registered_class(cfg) -> Optional[type]:
    """The class a model config's ``type`` names (a registered name or the class itself)."""
    kind = cfg.get('type') if isinstance(cfg, dict) else None
    if inspect.isclass(kind):
        return kind
    return MODELS.get(kind) if isinstance(kind, str) else None


def head_with_backbone_clip(decode_head: dict, backbone: dict) -> dict:
    """``decode_head`` with ``text_encoder`` set to the CLIP backbone's (``model_name``,
    ``weights``) where the head takes one and names none; other heads and configs as given."""
    if not isinstance(decode_head, dict) or decode_head.get('text_encoder') is not None:
        return decode_head
    head_cls = _registered_class(decode_head)
    takes_text = head_cls is not None and (
        issubclass(head_cls, OVSNetHead)
        or 'text_encoder' in inspect.signature(head_cls).parameters)
    if not takes_text:
        return decode_head
    backbone_cls = _registered_class(backbone)
    if backbone_cls is None or not issubclass(backbone_cls, CLIPDenseBackbone):
        kind = backbone.get('type') if isinstance(backbone, dict) else backbone
        raise ValueError(
            f'OVSEncoderDecoder: the head ({head_cls.__name__}) names no text_encoder and the '
            f'backbone ({kind!r}) is not a CLIPDenseBackbone to take the CLIP from: give '
            'decode_head.text_encoder=dict(model_name=..., weights=...) or a CLIP backbone.')
    return dict(decode_head, text_encoder=dict(model_name=backbone['model_name'],
                                               weights=backbone.get('weights')))


@MODELS.register_module()
class OVSEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` for open-vocabulary heads over a CLIP backbone (OVSNet).

    * **One CLIP per model, named once**: the backbone's ``FrozenCLIP`` is handed to the head
      (``share_clip``), which uses it for text embeddings and for mapping mask-pooled features;
      no second copy is loaded, moved to the device or saved. A head config without
      ``text_encoder`` gets the backbone's ``model_name`` and ``weights`` (so a config, or
      ``--cfg-options model.backbone.weights=...``, names the CLIP file once); one that names
      another CLIP is refused by the head's ``share_clip``.
    * **Large vocabularies** (ADE-847, PC-459): in ``whole`` inference the head returns class
      probabilities and mask logits and :func:`chunked_semantic_argmax` forms the label map, so
      no ``C x H x W`` tensor at full resolution is materialised; data samples then carry
      ``pred_sem_seg`` only. ``test_cfg=dict(output_logits=True)`` (e.g. for test-time
      augmentation, which merges ``seg_logits``) or ``mode='slide'`` use mmseg's path with the
      full logits.

    Args:
        class_chunk: classes processed at a time in the chunked path.
    """

    def __init__(self, backbone: dict, decode_head: dict, *args, class_chunk: int = 64,
                 **kwargs):
        super().__init__(backbone, head_with_backbone_clip(decode_head, backbone), *args,
                         **kwargs)
        self.class_chunk = class_chunk
        backbone, head = self.backbone, self.decode_head
        if isinstance(backbone, CLIPDenseBackbone) and isinstance(head, OVSNetHead):
            head.share_clip(backbone.clip)
            needs_pool = head.fusion != 'none' or head.ensemble is not None
            if needs_pool and not backbone.with_pool_features:
                # the head's mask pooling reads the CLIP tower's pre-head features: turn the
                # backbone's output of them on rather than fail inside the CLIP head later
                print_log('OVSEncoderDecoder: the head pools CLIP features, so the backbone '
                          'now also returns them (CLIPDenseBackbone with_pool_features=True).',
                          logger='current', level=logging.INFO)
                self.backbone.with_pool_features = True
            if not backbone.with_embeddings:
                head.expect_pool = bool(backbone.with_pool_features)

    def _chunked(self) -> bool:
        return (hasattr(self.decode_head, 'predict_components')
                and self.test_cfg.get('mode', 'whole') == 'whole'
                and not self.test_cfg.get('output_logits', False))

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Semantic logits at the size of ``inputs`` (a padded image or a sliding-window
        crop)."""
        x = self.extract_feat(inputs)
        if hasattr(self.decode_head, 'predict_components'):
            return self.decode_head.predict(x, batch_img_metas, self.test_cfg,
                                            size=inputs.shape[2:])
        return self.decode_head.predict(x, batch_img_metas, self.test_cfg)

    def predict(self, inputs: Tensor, data_samples: Optional[List] = None):
        masks = self.test_cfg.get('masks', 'predicted')
        if masks == 'ground_truth':
            return self.predict_ground_truth_regions(inputs, data_samples)
        if masks != 'predicted':
            raise ValueError(f"test_cfg.masks={masks!r}: use 'predicted' (the model's "
                             "masks) or 'ground_truth' (the CLIP mask oracle).")
        if not self._chunked():
            return super().predict(inputs, data_samples)
        if data_samples is not None:
            batch_img_metas = [s.metainfo for s in data_samples]
        else:
            batch_img_metas = [dict(ori_shape=inputs.shape[2:], img_shape=inputs.shape[2:],
                                    pad_shape=inputs.shape[2:],
                                    padding_size=[0, 0, 0, 0])] * inputs.shape[0]
            data_samples = [SegDataSample(metainfo=m) for m in batch_img_metas]
        probs, masks = self.decode_head.predict_components(self.extract_feat(inputs),
                                                           batch_img_metas)
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            padding = meta.get('img_padding_size', meta.get('padding_size', [0] * 4))
            pred = chunked_semantic_argmax(
                probs[i], masks[i], inputs.shape[2:], padding, meta['ori_shape'],
                meta.get('flip_direction') if meta.get('flip') else None, self.class_chunk,
                self.align_corners)
            sample.set_data({'pred_sem_seg': PixelData(data=pred)})
        return data_samples

    def predict_ground_truth_regions(self, inputs: Tensor, data_samples: List) -> List:
        """The mask oracle (``test_cfg=dict(masks='ground_truth')``): every ground-truth
        region (one per class present, ignored pixels left out) is classified by the frozen
        CLIP through the head's mask pooling (:meth:`OVSNetHead.classify_regions`), and its
        pixels take that class. No trained weight enters: the mIoU of the classes never trained
        on is the ceiling the CLIP classifier sets for them given perfect masks."""
        if not hasattr(self.decode_head, 'classify_regions'):
            raise ValueError("test_cfg.masks='ground_truth' needs a head that classifies "
                             f'regions with CLIP (OVSNetHead), not {type(self.decode_head)}.')
        if not data_samples or 'gt_sem_seg' not in data_samples[0]:
            raise ValueError("test_cfg.masks='ground_truth' needs the ground truth in the "
                             'test pipeline (LoadAnnotations).')
        if getattr(self.decode_head, 'expect_pool', None) is False:
            raise ValueError("test_cfg.masks='ground_truth' pools the CLIP's pre-head "
                             'features: use CLIPDenseBackbone(with_pool_features=True).')
        x = self.extract_feat(inputs)
        ignore = getattr(self.decode_head, 'ignore_index', 255)
        mask_size = [s // 4 for s in inputs.shape[2:]]  # the head's mask resolution
        for i, sample in enumerate(data_samples):
            gt = sample.gt_sem_seg.data[0]
            present = [k for k in gt.unique().tolist() if k != ignore]
            pred = torch.zeros_like(gt)
            if present:
                regions = torch.stack([gt == k for k in present]).float()[None]
                h, w = sample.metainfo['img_shape'][:2]
                regions = F.interpolate(regions, size=(h, w), mode='nearest')
                regions = F.pad(regions, (0, inputs.shape[3] - w, 0, inputs.shape[2] - h))
                small = F.interpolate(regions, size=mask_size, mode='area') > 0.5
                logits = self.decode_head.classify_regions([f[i:i + 1] for f in x], small)
                for k, c in zip(present, logits[0].argmax(-1).tolist()):
                    pred[gt == k] = c
            sample.set_data({'pred_sem_seg': PixelData(data=pred[None])})
        return data_samples
