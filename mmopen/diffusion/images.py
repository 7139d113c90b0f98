"""Images in and out of the guided sampler: RGB ``uint8`` arrays <-> ``B x 3 x H x W`` float
tensors in ``[0, 1]``, made square the way SynOOD and SeeCLIP feed their seed images."""
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def to_uint8(images: torch.Tensor) -> List[np.ndarray]:
    """``B x 3 x H x W`` in ``[0, 1]`` -> RGB ``uint8`` arrays (``H x W x 3``)."""
    arr = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return list(arr)


def check_fit(fit: str) -> str:
    """``fit`` of :func:`from_uint8`, refused early when it is neither."""
    if fit not in ('crop', 'squash'):
        raise ValueError(f"fit={fit!r}: 'crop' (centre crop, then resize) or 'squash' "
                         '(resize to a square, as the SynOOD release loads its seeds).')
    return fit


def from_uint8(images: Sequence[np.ndarray], size: Optional[int] = None,
               fit: str = 'crop') -> torch.Tensor:
    """RGB ``uint8`` arrays -> ``B x 3 x S x S`` in ``[0, 1]``, each made square and resized to
    ``size`` (kept when ``None``).

    ``fit='crop'`` (default): centre-cropped to a square, then resized (bicubic, antialiased:
    the aspect ratio is kept). ``fit='squash'``: resized to ``size x size`` whatever its aspect
    ratio, with PIL's bicubic filter: the SynOOD release's seed loading
    (``Image.resize((512, 512))``).
    """
    check_fit(fit)
    out = []
    for img in images:
        h, w = img.shape[:2]
        if fit == 'squash':
            if size is not None and (h, w) != (size, size):
                img = np.asarray(Image.fromarray(np.ascontiguousarray(img)).resize(
                    (size, size), Image.BICUBIC))
            out.append(torch.from_numpy(np.array(img)).permute(2, 0, 1)[None].float() / 255)
            continue
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        x = torch.from_numpy(np.array(img[top:top + s, left:left + s]))
        x = x.permute(2, 0, 1)[None].float() / 255
        if size is not None and s != size:
            x = F.interpolate(x, size=(size, size), mode='bicubic', align_corners=False,
                              antialias=True).clamp(0, 1)
        out.append(x)
    return torch.cat(out)
