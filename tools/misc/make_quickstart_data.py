"""Write the synthetic quickstart data sets in real on-disk layouts.

Segmentation (mmseg ADE20K layout, labels 1..C with 0 = unlabelled, ``reduce_zero_label``)::

    OUT/seg/images/{training,validation}/qs_000000.jpg
    OUT/seg/annotations/{training,validation}/qs_000000.png
    OUT/seg/classes.txt          vocabulary file (class names from ADE-150, with synonyms)

Classification, ID and OOD (ImageNet layout: class folders named by WordNet id, list files)::

    OUT/cls/imagenet/{train,val}/<wnid>/<wnid>_000000.JPEG
    OUT/cls/imagenet/meta/{train,val}.txt     "<wnid>/<file> <label>" per line
    OUT/cls/imagenet/meta/classes.txt         class names, index order (ImageNet-1k names)
    OUT/cls/ood/<set>/images/<set>_000000.jpg
    OUT/cls/ood/<set>/list.txt                "images/<file>" per line

Classes are learnable: each is a shape with its own colour on a textured background (for
segmentation, the backgrounds are classes too). Everything is drawn from a fixed seed, so two runs
write the same bytes. The data is written to a temporary folder and renamed into place; a
complete data set with the same parameters (``OUT/manifest.json``) is left as it is.

Usage::

    python tools/misc/make_quickstart_data.py data/quickstart [--force] [--seg-train N] ...
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmopen.datasets.quickstart_data import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
