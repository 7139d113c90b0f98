# PASCAL VOC-20 validation (background ignored): data/VOCdevkit/VOC2012/JPEGImages/*.jpg,
# .../SegmentationClass/*.png (0 = background, 1..20 classes, 255 boundary),
# split ImageSets/Segmentation/val.txt
# evaluation at short side 640 (ovs_val_640.py)
_base_ = ['./ovs_val_640.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='voc_20', data_root='data/VOCdevkit/VOC2012',
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')))
val_dataloader = test_dataloader
