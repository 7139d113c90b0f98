"""Open-vocabulary segmentation of images with a free-text class list
(:class:`mmopen.apis.OpenVocabSegInferencer`).

    python demo/image_demo.py IMAGE CONFIG CHECKPOINT --classes "cat, kitty" dog grass \\
        [--vocabulary FILE_OR_NAME] [--out result.png] [--out-dir DIR] [--device cpu]

IMAGE is an image or a folder of images; CONFIG a config path or a config name under
``configs/``; CHECKPOINT a file, ``last:WORK_DIR`` / ``best:WORK_DIR``, or ``none``. Each
``--classes`` argument is one class (synonyms separated by ", "); ``--vocabulary`` reads them
from a file or a shipped vocabulary instead (default: the config's test vocabulary). For one
image, ``--out`` is the picture (the image blended with its label map, and a legend of the
classes found); ``--out-dir`` writes ``vis/``, ``pred/`` label maps and JSON for every image.
"""
import argparse
import os.path as osp
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('image', help='an image or a folder of images')
    p.add_argument('config', help='a config path or a config name under configs/')
    p.add_argument('checkpoint', help='checkpoint file, last:WORK_DIR, best:WORK_DIR or "none"')
    p.add_argument('--classes', nargs='+', help='class names ("sofa, couch" for synonyms)')
    p.add_argument('--vocabulary', help='a vocabulary file or shipped vocabulary name')
    p.add_argument('--out', default='demo_result.png',
                   help='the picture of a single image (default: demo_result.png)')
    p.add_argument('--out-dir', help='write vis/, pred/ label maps and JSON of every image here')
    p.add_argument('--opacity', type=float, default=0.6)
    p.add_argument('--device', default=None, help='cpu, cuda (default: cuda when available)')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = p.parse_args(argv)
    if args.classes and args.vocabulary:
        raise SystemExit('Give the classes either with --classes or with --vocabulary, not '
                         'both (--vocabulary would be ignored).')
    if not osp.exists(args.image):
        raise SystemExit(f'Image {args.image!r} does not exist.')
    from PIL import Image

    from mmopen.apis import OpenVocabSegInferencer
    from mmopen.utils.io import atomic_path
    from mmopen.utils.progress import disable_progress
    disable_progress(args.no_progress)
    try:
        seg = OpenVocabSegInferencer(args.config, args.checkpoint, device=args.device)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    vocabulary = args.classes or args.vocabulary  # None: the config's test vocabulary
    try:
        result = seg(args.image, vocabulary=vocabulary, return_vis=True, opacity=args.opacity,
                     out_dir=args.out_dir or '')
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    preds = result['predictions']
    preds = preds if isinstance(preds, list) else [preds]
    size = len(preds[0]['classes'])
    for pred in preds:
        names = ', '.join(f'{c["class"]} {100 * c["fraction"]:.0f}%' for c in pred['present'])
        print(f'{pred["image"]}: {len(pred["present"])} of {size} classes found ({names})')
    if len(preds) == 1:
        with atomic_path(args.out, suffix=osp.splitext(args.out)[1]) as tmp:
            Image.fromarray(result['visualization']).save(tmp)
        print(f'wrote {args.out}')
    if args.out_dir:
        print(f'wrote {len(preds)} pictures, label maps and JSON files under {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
