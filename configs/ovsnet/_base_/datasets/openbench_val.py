# An OpenBench-style set written by tools/openbench/build.py (mmseg layout, its own class file
# with an "others" class last): data/openbench/images/* (the sources' own formats: .jpg, .png,
# ...), data/openbench/annotations/*.png (16-bit: ids 0..C-1, 65535 ignore; the paper's
# OpenBench has 286 classes + "others"), data/openbench/classes.txt
# evaluation at short side 640 (ovs_val_640_wide.py)
_base_ = ['./ovs_val_640_wide.py']
test_dataloader = dict(
    dataset=dict(
        vocabulary='data/openbench/classes.txt', ignore_index=65535,
        data_root='data/openbench',
        img_suffix=('.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG'),
        data_prefix=dict(img_path='images', seg_map_path='annotations')))
val_dataloader = test_dataloader
