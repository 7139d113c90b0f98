"""Build an OpenBench-style evaluation set from mmseg-format source datasets (OVSNet paper,
Sec. 3): keep the images whose classes are all far from the training vocabulary (image
similarity <= sigma1), relabel the remaining too-similar classes (> sigma2) to "others".

    python tools/openbench/build.py --clip-model ViT-L-14 --clip-weights W.bin \\
        --train coco_panoptic_133 --sigma1 0.85 --sigma2 0.8 \\
        --source data/food103/img_dir/test data/food103/ann_dir/test food103_classes.txt \\
        --source ... --out data/openbench

Each source is an image folder (any of .jpg / .jpeg / .png), its annotation folder (label maps
with the same file stem, class ids 0..C-1; 8-bit maps ignore 255, 16-bit maps 65535;
``--reduce-zero-label`` when 0 is background) and its class file (one class per line). The
output is mmseg-format: ``images/`` (each image copied in its own format), ``annotations/``
(16-bit PNG: ids 0..C-1, 65535 ignore, so more than 255 classes fit; the paper's OpenBench has
286 + "others") and ``classes.txt`` with "others, background" last. It is written to a temporary
folder and renamed; ``configs/ovsnet/_base_/datasets/openbench_val.py`` reads it.
"""
import argparse
import os
import os.path as osp
import shutil
import sys

import numpy as np

from mmopen.clip import FrozenCLIP
from mmopen.clip.vocabularies import class_names
from mmopen.ovs import max_similarity, select_openbench
from mmopen.utils.io import atomic_path

IMG_EXT = ('.jpg', '.jpeg', '.png')
IGNORE = 65535  # in the written 16-bit label maps


def read_label(path: str, reduce_zero_label: bool) -> np.ndarray:
    """Class ids (int64) of a source label map, ignored pixels as -1."""
    from PIL import Image
    raw = np.asarray(Image.open(path))
    if raw.ndim == 3:
        raw = raw[..., 0]
    label = raw.astype(np.int64)
    ignore = label == (255 if raw.dtype == np.uint8 else 65535)
    if reduce_zero_label:
        ignore |= label == 0
        label = label - 1
    label[ignore] = -1
    return label


def scan_source(img_dir, ann_dir, class_file, reduce_zero_label):
    for path in (img_dir, ann_dir, class_file):
        if not osp.exists(path):
            raise SystemExit(f'Source path {path!r} does not exist.')
    names = class_names(class_file)
    items = []
    for fname in sorted(os.listdir(img_dir)):
        stem, ext = osp.splitext(fname)
        if ext.lower() not in IMG_EXT:
            continue
        ann = osp.join(ann_dir, stem + '.png')
        if not osp.isfile(ann):
            raise SystemExit(f'No annotation {ann!r} for image {fname!r}.')
        ids = [int(i) for i in np.unique(read_label(ann, reduce_zero_label)) if i >= 0]
        bad = [i for i in ids if i >= len(names)]
        if bad:
            raise SystemExit(f'{ann}: class ids {bad} beyond the {len(names)} classes of '
                             f'{class_file}.')
        items.append(dict(img=osp.join(img_dir, fname), ann=ann, names=names,
                          classes={names[i] for i in ids}, reduce=reduce_zero_label))
    return names, items


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--clip-model', required=True)
    p.add_argument('--clip-weights')
    p.add_argument('--train', default='coco_panoptic_133')
    p.add_argument('--templates', default='vild')
    p.add_argument('--sigma1', type=float, required=True, help='image similarity threshold')
    p.add_argument('--sigma2', type=float, required=True, help='"others" class threshold')
    p.add_argument('--source', nargs=3, action='append', required=True,
                   metavar=('IMG_DIR', 'ANN_DIR', 'CLASSES'))
    p.add_argument('--reduce-zero-label', action='store_true')
    p.add_argument('--out', required=True)
    args = p.parse_args(argv)
    from mmengine.utils import ProgressBar
    from PIL import Image
    items = []
    all_names = []
    for img_dir, ann_dir, class_file in args.source:
        names, src_items = scan_source(img_dir, ann_dir, class_file, args.reduce_zero_label)
        all_names += [n for n in names if n not in all_names]
        items += src_items
    clip = FrozenCLIP(args.clip_model, args.clip_weights)
    sims = max_similarity(clip.text_embeddings([[n] for n in all_names], args.templates),
                          clip.text_embeddings(args.train, args.templates))
    class_sim = dict(zip(all_names, sims.tolist()))
    sel = select_openbench([it['classes'] for it in items], class_sim, args.sigma1, args.sigma2)
    classes = sel.classes + ['others']
    new_id = {c: i for i, c in enumerate(classes)}
    with atomic_path(args.out, is_dir=True) as tmp:
        os.makedirs(osp.join(tmp, 'images'))
        os.makedirs(osp.join(tmp, 'annotations'))
        bar = ProgressBar(len(sel.kept))
        for n, i in enumerate(sel.kept):
            it = items[i]
            label = read_label(it['ann'], it['reduce'])
            out = np.full(label.shape, IGNORE, np.uint16)
            for old, name in enumerate(it['names']):
                mask = label == old
                if mask.any():
                    out[mask] = new_id['others' if name in sel.to_others else name]
            stem = f'{n:06d}'
            shutil.copyfile(it['img'], osp.join(tmp, 'images',
                                                stem + osp.splitext(it['img'])[1]))
            Image.fromarray(out).save(osp.join(tmp, 'annotations', stem + '.png'))
            bar.update()
        sys.stdout.write('\n')
        with open(osp.join(tmp, 'classes.txt'), 'w') as f:
            f.writelines(f'{c}\n' for c in sel.classes)
            f.write('others, background\n')
    print(f'OpenBench: kept {len(sel.kept)} of {len(items)} images (sigma1 {args.sigma1}), '
          f'{len(sel.classes)} classes + others ({len(sel.to_others)} classes relabelled with '
          f'sigma2 {args.sigma2}); written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
