"""Write the synthetic quickstart data sets (segmentation, ID / OOD classification) in real
on-disk layouts; see :mod:`mmopen.datasets.quickstart_data` for the layouts.

    python tools/misc/make_quickstart_data.py data/quickstart [--force] [--seg-train N] ...
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmopen.datasets.quickstart_data import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
