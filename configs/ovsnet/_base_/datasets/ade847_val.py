# ADE20K-Full-847 validation in detectron2's layout (FC-CLIP / SAN / CAT-Seg preparation):
#   data/ADE20K_2021_17_01/images_detectron2/validation/*.jpg
#   data/ADE20K_2021_17_01/annotations_detectron2/validation/*.tif  (uint16, 0..846, 65535 ignore)
# evaluation at short side 640 (ovs_val_640_wide.py)
_base_ = ['./ovs_val_640_wide.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='ade_847', data_root='data/ADE20K_2021_17_01', seg_map_suffix='.tif',
        data_prefix=dict(img_path='images_detectron2/validation',
                         seg_map_path='annotations_detectron2/validation')))
val_dataloader = test_dataloader
