# Evaluate the OVSNet quickstart over its training vocabulary only (the 6 seen classes; pixels
# of the 2 unseen classes are ignored), the closed-vocabulary number:
#   python tools/test.py configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_eval-seen.py \
#       last:work_dirs/ovsnet_clip-tiny-convnext_quickstart
_base_ = ['./ovsnet_clip-tiny-convnext_quickstart.py']
_seen = dict(vocabulary={{_base_.seen_classes}},
             annotation_vocabulary={{_base_.all_classes}})
val_dataloader = dict(dataset=_seen)
test_dataloader = dict(dataset=_seen)
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
