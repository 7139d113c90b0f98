"""An EncoderDecoder whose semantic maps never hold a full-resolution tensor per class."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor


def chunked_upsample_argmax(logits: Tensor, input_size, padding, ori_shape, flip=None,
                            chunk: int = 64, align_corners: bool = False) -> Tensor:
    """``argmax_c`` of the logits (``C x h x w``, at any resolution) after mmseg's standard
    post-processing -- bilinear resize to the padded input size, crop the padding, undo a flip,
    bilinear resize to the original shape -- computed ``chunk`` classes at a time, so memory is
    ``O(chunk x H x W)`` instead of ``O(C x H x W)``. Bilinear resizing acts on each channel
    alone, so the result equals the unchunked computation; a resize to the size the map already
    has is skipped. Returns ``1 x H x W`` (long)."""
    left, right, top, bottom = padding
    best_val = best_idx = None
    for start in range(0, logits.shape[0], chunk):
        part = logits[None, start:start + chunk].float()
        if tuple(part.shape[-2:]) != tuple(input_size):
            part = F.interpolate(part, size=tuple(input_size), mode='bilinear',
                                 align_corners=align_corners)
        h, w = part.shape[-2:]
        part = part[:, :, top:h - bottom, left:w - right]
        if flip == 'horizontal':
            part = part.flip(dims=(3, ))
        elif flip == 'vertical':
            part = part.flip(dims=(2, ))
        if tuple(part.shape[-2:]) != tuple(ori_shape):
            part = F.interpolate(part, size=tuple(ori_shape), mode='bilinear',
                                 align_corners=align_corners)
        part = part[0]
        val, idx = part.max(dim=0)
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
    """``EncoderDecoder`` for open-vocabulary heads over large vocabularies (ADE-847, PC-459).

    In ``whole`` inference the decode head returns its semantic logits at mask resolution and
    :func:`chunked_upsample_argmax` produces the prediction, so no ``C x H x W`` tensor at full
    resolution is ever materialised. Data samples carry ``pred_sem_seg`` (and no full-resolution
    ``seg_logits``). ``slide`` inference keeps mmseg's path.

    Args:
        class_chunk: classes upsampled at a time.
    """

    def __init__(self, *args, class_chunk: int = 64, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_chunk = class_chunk

    def _deferrable(self) -> bool:
        return (hasattr(self.decode_head, 'defer_upsampling')
                and self.test_cfg.get('mode', 'whole') == 'whole')

    def predict(self, inputs: Tensor, data_samples: Optional[List] = None):
        defer = self._deferrable()
        if defer:
            self.decode_head.defer_upsampling = True
        try:
            if data_samples is not None:
                batch_img_metas = [s.metainfo for s in data_samples]
            else:
                batch_img_metas = [dict(ori_shape=inputs.shape[2:], img_shape=inputs.shape[2:],
                                        pad_shape=inputs.shape[2:],
                                        padding_size=[0, 0, 0, 0])] * inputs.shape[0]
            seg_logits = self.inference(inputs, batch_img_metas)
        finally:
            self.decode_head.defer_upsampling = False
        if not defer:
            return self.postprocess_result(seg_logits, data_samples)
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=m) for m in batch_img_metas]
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            padding = meta.get('img_padding_size', meta.get('padding_size', [0] * 4))
            pred = chunked_upsample_argmax(
                seg_logits[i], inputs.shape[2:], padding, meta['ori_shape'],
                meta.get('flip_direction') if meta.get('flip') else None, self.class_chunk,
                self.align_corners)
            sample.set_data({'pred_sem_seg': PixelData(data=pred)})
        return data_samples
