# Pascal Context-459 validation in detectron2's layout (FC-CLIP / SAN preparation):
#   data/pascal_ctx_d2/images/validation/*.jpg
#   data/pascal_ctx_d2/annotations_ctx459/validation/*.tif  (uint16, 0..458, 65535 ignore)
# evaluation at short side 640 (ovs_val_640_wide.py)
_base_ = ['./ovs_val_640_wide.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='pascal_context_459', data_root='data/pascal_ctx_d2', seg_map_suffix='.tif',
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations_ctx459/validation')))
val_dataloader = test_dataloader
