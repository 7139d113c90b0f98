# The synthetic quickstart segmentation set as an open-vocabulary benchmark: training sees the
# 6 seen classes only (the label maps index all 8 classes; the 2 unseen ones, kite and tire,
# are ignored in training), validation and testing run over all 8 classes and report the mIoU
# over the seen and the unseen classes and their harmonic mean (hIoU).
_base_ = ['../../../_base_/datasets/quickstart_seg.py']
all_classes = 'data/quickstart/seg/classes.txt'
seen_classes = 'data/quickstart/seg/classes_seen.txt'
train_dataloader = dict(
    dataset=dict(vocabulary=seen_classes, annotation_vocabulary=all_classes))
val_dataloader = dict(dataset=dict(vocabulary=all_classes))
test_dataloader = val_dataloader
val_evaluator = dict(type='OpenVocabIoUMetric', seen_classes=seen_classes)
test_evaluator = val_evaluator
