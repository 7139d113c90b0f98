"""Write the synthetic open-set domain generalisation quickstart (the quickstart shapes in four
styles, PACS layout, with its class split as ``benchmark.json``); see
:mod:`mmopen.quickstart.osdg_data`.

    python tools/misc/make_osdg_quickstart_data.py data/quickstart/osdg [--force] [--per-class N]

The same data already there is left as it is; the folder is written to a temporary name and
renamed into place.
"""
import argparse
import sys

from mmopen.quickstart.osdg_data import DEFAULTS, write_osdg_quickstart


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out', help='output folder, e.g. data/quickstart/osdg')
    helps = dict(size='image size', per_class='images per domain and class', seed='random seed')
    for key, default in DEFAULTS.items():
        parser.add_argument('--' + key.replace('_', '-'), type=int, default=default,
                            help=f'{helps[key]} (default {default})')
    parser.add_argument('--force', action='store_true', help='rewrite an existing data set')
    args = parser.parse_args(argv)
    write_osdg_quickstart(args.out, force=args.force, **{k: getattr(args, k) for k in DEFAULTS})
    return 0


if __name__ == '__main__':
    sys.exit(main())
