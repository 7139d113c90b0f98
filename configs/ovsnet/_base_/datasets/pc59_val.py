# Pascal Context-59 validation (mmseg layout): data/VOCdevkit/VOC2010/JPEGImages/*.jpg,
# .../SegmentationClassContext/*.png (0 = background, classes 1..59), split ImageSets/SegmentationContext/val.txt
# evaluation at short side 640 (ovs_val_640.py)
_base_ = ['./ovs_val_640.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='pascal_context_59', data_root='data/VOCdevkit/VOC2010',
        ann_file='ImageSets/SegmentationContext/val.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassContext')))
val_dataloader = test_dataloader
