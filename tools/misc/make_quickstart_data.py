"""Write the synthetic quickstart data sets (segmentation with seen / unseen classes, ID / OOD
classification) in real on-disk layouts; see :mod:`mmopen.quickstart.quickstart_data`.

    python tools/misc/make_quickstart_data.py data/quickstart [--force] [--seg-train N] ...

A complete data set with the same parameters is left as it is; each folder is written to a
temporary name and renamed into place.
"""
import argparse
import sys

from mmopen.quickstart.quickstart_data import DEFAULTS, write_quickstart_data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out', help='output folder, e.g. data/quickstart')
    helps = dict(seg_size='segmentation image size', cls_size='classification image size',
                 seg_train='segmentation training images', seg_val='segmentation validation '
                 'images', cls_train='training images per ID class', cls_val='validation images '
                 'per ID class', ood='images per OOD set', world_size='open-world image size',
                 world_id='open-world ID images per class (0: no open world)',
                 world_ood='open-world images per OOD set (near, far)', seed='random seed')
    for key, default in DEFAULTS.items():
        parser.add_argument('--' + key.replace('_', '-'), type=int, default=default,
                            help=f'{helps[key]} (default {default})')
    parser.add_argument('--force', action='store_true', help='rewrite an existing data set')
    args = parser.parse_args(argv)
    params = {k: getattr(args, k) for k in DEFAULTS}
    try:
        write_quickstart_data(args.out, force=args.force, **params)
    except FileExistsError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
