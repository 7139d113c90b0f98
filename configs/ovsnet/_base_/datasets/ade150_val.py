# ADE20K-150 validation (mmseg layout): data/ade/ADEChallengeData2016/images/validation/*.jpg,
# .../annotations/validation/*.png (0 = unlabelled, classes 1..150).
# evaluation at short side 640 (ovs_val_640.py)
_base_ = ['./ovs_val_640.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='ade_150', data_root='data/ade/ADEChallengeData2016',
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation')))
val_dataloader = test_dataloader
