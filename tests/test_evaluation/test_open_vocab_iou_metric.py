"""OpenVocabIoUMetric: seen / unseen mIoU and hIoU against a computation written here."""
import numpy as np
import pytest
import torch

import mmopen  # noqa: F401
from mmopen.evaluation import OpenVocabIoUMetric
from mmopen.ovs import seen_unseen_iou


def test_seen_unseen_iou_formula():
    iou = [0.5, np.nan, 0.7, 0.1, 0.3]
    seen = [True, True, True, False, False]
    out = seen_unseen_iou(iou, seen)
    s, u = 100 * (0.5 + 0.7) / 2, 100 * (0.1 + 0.3) / 2  # NaN: class absent, left out
    assert out['mIoU_seen'] == pytest.approx(s) and out['mIoU_unseen'] == pytest.approx(u)
    assert out['hIoU'] == pytest.approx(2 * s * u / (s + u))
    assert np.isnan(seen_unseen_iou([0.5, np.nan], [True, False])['mIoU_unseen'])


def test_metric_on_predictions():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    metric = OpenVocabIoUMetric(seen_classes=['wall', 'ball, balls'])
    metric.dataset_meta = dict(classes=('wall', 'ball', 'kite'),
                               vocabulary=(('wall', ), ('ball', 'balls'), ('kite', )))
    g = torch.Generator().manual_seed(0)
    samples, preds, gts = [], [], []
    for _ in range(3):
        gt = torch.randint(0, 3, (1, 6, 6), generator=g)
        pred = torch.where(torch.rand(1, 6, 6, generator=g) < 0.7, gt,
                           torch.randint(0, 3, (1, 6, 6), generator=g))
        samples.append(SegDataSample(gt_sem_seg=PixelData(data=gt),
                                     pred_sem_seg=PixelData(data=pred)).to_dict())
        preds.append(pred)
        gts.append(gt)
    metric.process([], samples)
    out = metric.compute_metrics(metric.results)
    p, g_ = torch.cat(preds).numpy(), torch.cat(gts).numpy()
    iou = [((p == k) & (g_ == k)).sum() / ((p == k) | (g_ == k)).sum() for k in range(3)]
    assert out['mIoU'] == pytest.approx(100 * np.mean(iou), abs=0.01)
    assert out['mIoU_seen'] == pytest.approx(100 * (iou[0] + iou[1]) / 2, abs=0.01)
    assert out['mIoU_unseen'] == pytest.approx(100 * iou[2], abs=0.01)
