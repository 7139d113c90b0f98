"""Pictures of the inferencers' results: a label map blended over its image with a legend of
the classes it shows, and the class colours."""
from typing import List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mmopen.datasets.vocab_seg_dataset import vocabulary_palette

ROW = 18     # legend row height (px)
SWATCH = 12  # colour square (px)
PAD = 6


def class_colours(num_classes: int) -> np.ndarray:
    """``num_classes x 3`` RGB ``uint8``: the palette of the project's segmentation sets."""
    return np.array(vocabulary_palette(num_classes), np.uint8).reshape(-1, 3)


def blend(rgb: np.ndarray, label_map: np.ndarray, colours: np.ndarray,
          opacity: float = 0.6) -> np.ndarray:
    """``rgb * (1 - opacity) + colour[label] * opacity`` (``uint8``, rounded down)."""
    if rgb.shape[:2] != label_map.shape:
        raise ValueError(f'The label map ({label_map.shape}) is not the image\'s size '
                         f'({rgb.shape[:2]}).')
    if not 0 <= opacity <= 1:
        raise ValueError(f'opacity={opacity}: must be in [0, 1].')
    mixed = rgb.astype(np.float32) * (1 - opacity) + colours[label_map].astype(np.float32) * \
        opacity
    return mixed.astype(np.uint8)


def legend(entries: Sequence[Tuple[str, Sequence[int]]], height: int,
           width: int = 0) -> np.ndarray:
    """A white panel listing ``(text, RGB colour)`` entries, one row each, at least ``height``
    pixels high (taller when the rows need it) and ``width`` wide (default: the longest
    text's)."""
    font = ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new('RGB', (1, 1)))
    text_w = max([int(probe.textlength(t, font=font)) for t, _ in entries] + [0])
    w = max(width, PAD * 3 + SWATCH + text_w)
    h = max(height, PAD * 2 + ROW * len(entries))
    panel = Image.new('RGB', (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    for i, (text, colour) in enumerate(entries):
        y = PAD + i * ROW
        draw.rectangle([PAD, y + 2, PAD + SWATCH, y + 2 + SWATCH], fill=tuple(int(c) for c in
                                                                              colour),
                       outline=(0, 0, 0))
        draw.text((PAD * 2 + SWATCH, y + 2), text, fill=(0, 0, 0), font=font)
    return np.asarray(panel)


def beside(image: np.ndarray, panel: np.ndarray) -> np.ndarray:
    """``image`` with ``panel`` to its right, on white, top-aligned."""
    h = max(image.shape[0], panel.shape[0])
    out = np.full((h, image.shape[1] + panel.shape[1], 3), 255, np.uint8)
    out[:image.shape[0], :image.shape[1]] = image
    out[:panel.shape[0], image.shape[1]:] = panel
    return out


def segmentation_picture(rgb: np.ndarray, label_map: np.ndarray, names: List[str],
                         opacity: float = 0.6) -> np.ndarray:
    """The image blended with its label map, and a legend of the classes present (largest
    first)."""
    colours = class_colours(len(names))
    labels, counts = np.unique(label_map, return_counts=True)
    order = [int(labels[i]) for i in np.argsort(-counts, kind='stable')]
    entries = [(names[c], colours[c]) for c in order]
    return beside(blend(rgb, label_map, colours, opacity), legend(entries, rgb.shape[0]))
