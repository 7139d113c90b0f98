"""An EncoderDecoder for open-vocabulary heads: one CLIP per model, and semantic maps over large
vocabularies without a full-resolution tensor per class."""
import logging
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor


def chunked_semantic_argmax(probs: Tensor, mask_logits: Tensor, input_size: Sequence[int],
                            padding: Sequence[int], ori_shape: Sequence[int],
                            flip: Optional[str] = None, chunk: int = 64,
                            align_corners: bool = False) -> Tensor:
    """The label map of Mask2Former's semantic inference followed by mmseg's post-processing,
    without a ``C x H x W`` tensor.

    Mask2Former upsamples the mask logits (``Q x h x w``) to the padded input size, applies the
    sigmoid and forms ``logits_c = sum_q probs[q, c] sigmoid(mask_q)``; mmseg then crops the
    padding, undoes a flip, resizes to the original shape (bilinear) and takes the argmax. The
    class sum, the crop, the flip and the bilinear resize all act on each class channel alone,
    so computing them ``chunk`` classes at a time gives the same map with memory
    ``O((Q + chunk) x H x W)`` instead of ``O(C x H x W)``; only rounding differs (the class sum
    of a chunk may be reduced in another order than over all classes), which can flip pixels
    whose two best classes tie to ~1e-6. Returns ``1 x H x W`` (long).

    Args:
        probs: ``Q x C`` class probabilities of the queries.
        mask_logits: ``Q x h x w`` mask logits.
        padding: ``(left, right, top, bottom)`` padding of the input.
    """
    masks = F.interpolate(mask_logits[None].float(), size=tuple(input_size), mode='bilinear',
                          align_corners=False)[0].sigmoid()
    left, right, top, bottom = padding
    h, w = masks.shape[-2:]
    masks = masks[:, top:h - bottom, left:w - right]
    if flip == 'horizontal':
        masks = masks.flip(dims=(2, ))
    elif flip == 'vertical':
        masks = masks.flip(dims=(1, ))
    probs = probs.float()
    best_val = best_idx = None
    for start in range(0, probs.shape[1], chunk):
        part = torch.einsum('qc,qhw->chw', probs[:, start:start + chunk], masks)[None]
        if tuple(part.shape[-2:]) != tuple(ori_shape):
            part = F.interpolate(part, size=tuple(ori_shape), mode='bilinear',
                                 align_corners=align_corners)
        val, idx = part[0].max(dim=0)
        idx = idx + start
        if best_val is None:
            best_val, best_idx = val, idx
        else:
            better = val > best_val  # ties keep the lower class index, as argmax does
            best_val = torch.where(better, val, best_val)
            best_idx = torch.where(better, idx, best_idx)
    return best_idx[None]


@MODELS.register_module()
class OVSEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` for open-vocabulary heads over a CLIP backbone (OVSNet).

    * **One CLIP per model**: the backbone's ``FrozenCLIP`` is handed to the head
      (``share_clip``), which uses it for text embeddings and for mapping mask-pooled features;
      no second copy is loaded, moved to the device or saved.
    * **Large vocabularies** (ADE-847, PC-459): in ``whole`` inference the head returns class
      probabilities and mask logits and :func:`chunked_semantic_argmax` forms the label map, so
      no ``C x H x W`` tensor at full resolution is materialised; data samples then carry
      ``pred_sem_seg`` only. ``test_cfg=dict(output_logits=True)`` (e.g. for test-time
      augmentation, which merges ``seg_logits``) or ``mode='slide'`` use mmseg's path with the
      full logits.

    Args:
        class_chunk: classes processed at a time in the chunked path.
    """

    def __init__(self, *args, class_chunk: int = 64, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_chunk = class_chunk
        clip = getattr(self.backbone, 'clip', None)
        head = self.decode_head
        if clip is not None and hasattr(head, 'share_clip'):
            head.share_clip(clip)
            needs_pool = (getattr(head, 'fusion', 'none') != 'none'
                          or getattr(head, 'ensemble', None) is not None)
            if needs_pool and getattr(self.backbone, 'with_pool_features', None) is False:
                # the head's mask pooling reads the CLIP tower's pre-head features: turn the
                # backbone's output of them on rather than fail inside the CLIP head later
                print_log('OVSEncoderDecoder: the head pools CLIP features, so the backbone '
                          'now also returns them (CLIPDenseBackbone with_pool_features=True).',
                          logger='current', level=logging.INFO)
                self.backbone.with_pool_features = True
            if hasattr(head, 'expect_pool_features') and not getattr(
                    self.backbone, 'with_embeddings', False):
                head.expect_pool_features(bool(getattr(self.backbone, 'with_pool_features',
                                                       False)))

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
