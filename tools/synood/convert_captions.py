"""Convert the SynOOD release's caption file (``texts/matched_info.jsonl``) for the ``captions``
context provider (:mod:`mmopen.ood.synood.release_captions`).

    python tools/synood/convert_captions.py texts/matched_info.jsonl \\
        data/synood/imagenet_captions.jsonl [--data-root data/imagenet] [--max-chars 73]

Each caption is cut to ``--max-chars`` characters as the release cuts its prompts (73; ``0``
keeps them whole). With ``--data-root``, paths whose image is missing there are counted and the
first ones named (the conversion still writes every line). The output is written atomically.
"""
import argparse
import json
import os.path as osp
import sys

from mmopen.ood.synood.release_captions import RELEASE_MAX_CHARS, convert_release_captions
from mmopen.utils.io import write_text_atomic


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('src', help="the release's matched_info.jsonl")
    p.add_argument('out', help='the JSON-lines file the captions provider reads')
    p.add_argument('--max-chars', type=int, default=None,
                   help='cut each caption to this many characters (default: 73, as the release; '
                   '0: whole)')
    p.add_argument('--data-root', default=None,
                   help='check that every image exists under this folder')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.src):
        raise SystemExit(f'Caption file {args.src!r} does not exist: give the release\'s '
                         'texts/matched_info.jsonl.')
    max_chars = RELEASE_MAX_CHARS if args.max_chars is None else args.max_chars
    with open(args.src, encoding='utf-8') as f:
        records = convert_release_captions(f, args.src, max_chars)
    if args.data_root:
        missing = [r['image'] for r in records
                   if not osp.isfile(osp.join(args.data_root, r['image']))]
        if missing:
            print(f'{len(missing)} of {len(records)} images are not under {args.data_root}, '
                  f'e.g. {missing[:3]}', file=sys.stderr)
    write_text_atomic(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in records),
                      args.out)
    print(f'Wrote {len(records)} captions (cut to {max_chars or "any"} characters) to '
          f'{args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
