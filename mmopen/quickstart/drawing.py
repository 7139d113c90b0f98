"""Drawing primitives of the synthetic data sets: textured backgrounds, shape masks, painting
a mask in a jittered colour, and clipping to 8 bits. All randomness comes from the caller's
``numpy`` generator, so a seed gives the same pixels."""
from typing import Tuple

import numpy as np


def texture(rng: np.random.Generator, size: int, kind: str,
            rgb: Tuple[int, int, int]) -> np.ndarray:
    base = np.array(rgb, dtype=np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == 'stripes':
        period = rng.uniform(4, 8)
        phase = rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * yy / period + phase)[..., None]
        img = base + 35 * wave + rng.normal(0, 6, (size, size, 3))
    elif kind == 'noise':
        coarse = rng.normal(0, 1, (size // 4 + 1, size // 4 + 1, 1))
        coarse = np.kron(coarse, np.ones((4, 4, 1)))[:size, :size]
        img = base + 25 * coarse + rng.normal(0, 12, (size, size, 3))
    else:  # checker
        cell = int(rng.integers(4, 9))
        chk = (((yy // cell) + (xx // cell)) % 2)[..., None]
        img = base + 50 * (chk - 0.5) + rng.normal(0, 6, (size, size, 3))
    return img


def shape_mask(rng: np.random.Generator, size: int, shape: str,
               scale: Tuple[float, float]) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = rng.uniform(*scale) * size
    cy, cx = rng.uniform(r, size - r, 2)
    if shape == 'circle':
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    if shape == 'square':
        return (np.abs(yy - cy) <= r * 0.85) & (np.abs(xx - cx) <= r * 0.85)
    if shape == 'triangle':
        top = cy - r
        inside_y = (yy >= top) & (yy <= cy + r)
        half = (yy - top) / 2 * 1.1
        return inside_y & (np.abs(xx - cx) <= half)
    if shape == 'ring':
        d = (yy - cy) ** 2 + (xx - cx) ** 2
        return (d <= r ** 2) & (d >= (0.5 * r) ** 2)
    if shape == 'bar':
        return (np.abs(yy - cy) <= r * 0.3) & (np.abs(xx - cx) <= r)
    if shape == 'cross':
        return ((np.abs(yy - cy) <= r * 0.25) & (np.abs(xx - cx) <= r)) | (
            (np.abs(xx - cx) <= r * 0.25) & (np.abs(yy - cy) <= r))
    if shape == 'diamond':
        return np.abs(yy - cy) + np.abs(xx - cx) <= r
    if shape == 'hexagon':  # flat top and bottom
        dy, dx = np.abs(yy - cy), np.abs(xx - cx)
        return (dy <= r * 0.85) & (dx * 0.85 + dy * 0.5 <= r * 0.85)
    if shape == 'star':  # five points
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        theta = np.arctan2(yy - cy, xx - cx)
        return d <= r * (0.45 + 0.55 * (0.5 + 0.5 * np.cos(5 * theta - np.pi / 2)))
    if shape == 'crescent':
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
        return disc & ((yy - cy) ** 2 + (xx - cx - 0.5 * r) ** 2 > (0.85 * r) ** 2)
    if shape == 'ellipse':  # wide
        return ((xx - cx) / r) ** 2 + ((yy - cy) / (0.55 * r)) ** 2 <= 1
    raise ValueError(shape)


def paint(img: np.ndarray, mask: np.ndarray, rgb: Tuple[int, int, int],
          rng: np.random.Generator) -> None:
    colour = np.array(rgb, np.float32) + rng.normal(0, 12, 3)
    img[mask] = colour + rng.normal(0, 8, (int(mask.sum()), 3))


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0, 255).astype(np.uint8)
