"""Open-vocabulary segmentation metrics over seen and unseen classes."""
from typing import Dict, Sequence

import numpy as np


def seen_unseen_iou(iou: Sequence[float], seen: Sequence[bool]) -> Dict[str, float]:
    """``mIoU_seen``, ``mIoU_unseen`` (means over the classes of each kind that occur, i.e.
    whose IoU is not NaN, as mmseg's mIoU) and ``hIoU = 2 s u / (s + u)``, all x100 like
    mmseg's metrics; NaN where a kind has no class that occurs."""
    iou = np.asarray(iou, dtype=np.float64)
    seen = np.asarray(seen, dtype=bool)
    if iou.shape != seen.shape:
        raise ValueError(f'{iou.size} IoU values for {seen.size} seen / unseen flags.')

    def mean(values):
        values = values[~np.isnan(values)]
        return float(values.mean() * 100) if values.size else float('nan')

    s, u = mean(iou[seen]), mean(iou[~seen])
    h = 2 * s * u / (s + u) if s + u > 0 else float('nan')
    return dict(mIoU_seen=s, mIoU_unseen=u, hIoU=h)
