"""CLIP's image preprocessing on tensors: its input normalisation and its input size, for code
that feeds CLIP images already in ``[0, 1]`` (SynOOD's guidance classifier, label miner and
context ranking; SeeCLIP's semantic tokens of generated images)."""
import torch

from .constants import CLIP_MEAN, CLIP_STD


def clip_normalise(images: torch.Tensor) -> torch.Tensor:
    """Images in ``[0, 1]`` -> CLIP's input normalisation (``CLIP_MEAN`` / ``CLIP_STD`` are in
    0-255 pixel units, as mmpretrain's data preprocessors use them)."""
    mean = images.new_tensor(CLIP_MEAN).view(1, 3, 1, 1) / 255
    std = images.new_tensor(CLIP_STD).view(1, 3, 1, 1) / 255
    return (images - mean) / std


def clip_input_size(clip) -> int:
    """The square input size of ``clip``'s image tower (a ``FrozenCLIP`` or an open_clip
    model: anything with ``visual.image_size``)."""
    size = clip.visual.image_size
    return int(size[0] if isinstance(size, (tuple, list)) else size)
