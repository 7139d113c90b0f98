# The NegLabel / MOS protocol (ImageNet-1k vs iNaturalist, SUN, Places, Textures) with cleaned
# lists for SUN, Places and Textures, which contain images of ImageNet classes (NegRefine, 2025).
# The lists are not shipped: build them from your copy (same layout as
# imagenet_neglabel_protocol.py), from exclusion lists you have or from a saved run, e.g.
#   python tools/ood/clean_ood_list.py --root data/ood --images SUN/images \
#       --exclude sun_id_overlap.txt --out data/ood/SUN/clean_list.txt
# (likewise Places/images -> data/ood/Places/clean_list.txt, dtd/images ->
# data/ood/dtd/clean_list.txt); each writes OUT.removed.txt beside it for review. Report
# results on these lists separately from the standard four (the set names carry "_clean").
_base_ = ['./imagenet_neglabel_protocol.py']


def _clean(name, folder, list_file):
    return dict(type='ImageListDataset', data_root='data/ood', data_prefix=folder,
                ann_file=list_file,
                layout=f'data/ood/{list_file} (tools/ood/clean_ood_list.py) listing images '
                f'under data/ood/{folder} ({name} OOD set)')


test_dataloader = dict(
    dataset=dict(
        ood_datasets=dict(
            _delete_=True,
            iNaturalist=dict(type='ImageListDataset', data_root='data/ood',
                             data_prefix='iNaturalist/images',
                             layout='data/ood/iNaturalist/images/*.jpg (iNaturalist OOD set)'),
            SUN_clean=_clean('SUN', 'SUN/images', 'SUN/clean_list.txt'),
            Places_clean=_clean('Places', 'Places/images', 'Places/clean_list.txt'),
            Textures_clean=_clean('Textures', 'dtd/images', 'dtd/clean_list.txt'))))
