"""Build a cleaned image list of an OOD set from your own copy of it.

    # drop images named in exclusion lists (e.g. lists of OOD images that show ID classes)
    python tools/ood/clean_ood_list.py --root data/ood --images SUN/images \\
        --exclude sun_overlap.txt --out data/ood/SUN/clean_list.txt
    # or flag them with a saved run: the OOD images an ID model accepts most confidently
    python tools/test.py CONFIG none --save-scores work_dirs/scores
    python tools/ood/clean_ood_list.py --root data/ood --images SUN/images \\
        --scores work_dirs/scores --set SUN --score MCM --drop-top-fraction 0.02 \\
        --out data/ood/SUN/clean_list.txt

Several standard OOD sets contain images of ID classes: SUN, Places and Textures hold ImageNet
objects (NegRefine, 2025), which counts correct detections as errors. This tool writes the set's
image list without such images, in the format ``ImageListDataset`` reads (one path per line,
relative to ``--root/--images``), plus ``OUT.removed.txt`` with each dropped image and why, so
the cleaning can be reviewed and published. The ``*_clean`` dataset configs read these lists.

* ``--exclude FILE ...``: text files of images to drop, one per line (a path relative to the
  image folder, matched as a path only, or a bare file name, which must name one image;
  ``#`` starts a comment; a line that is not a path with spaces ends at its first space).
* ``--scores DIR --set NAME --score KEY``: a score folder from ``tools/test.py --save-scores``
  (it records each sample's image); drop the set's images with the highest scores (most
  ID-like) above ``--drop-above`` or in the top ``--drop-top-fraction``. Review
  ``OUT.removed.txt`` before publishing results on such a list: a confident score is a flag,
  not proof that an image shows an ID class.

The list is written atomically; unknown names in exclusion files are reported, not ignored.
"""
import argparse
import os
import os.path as osp
import sys

from mmopen.datasets.ood_sets import IMG_EXTENSIONS, list_entry
from mmopen.ood.score_files import load_scores
from mmopen.utils.io import write_text_atomic


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Write a cleaned image list of an OOD set.')
    p.add_argument('--root', required=True, help='the OOD set\'s data_root')
    p.add_argument('--images', default='', help='image folder under --root (data_prefix)')
    p.add_argument('--list', default=None,
                   help='existing list file under --root to start from (default: every image '
                   'under --root/--images)')
    p.add_argument('--exclude', nargs='*', default=[], help='files of images to drop')
    p.add_argument('--scores', help='score folder from tools/test.py --save-scores')
    p.add_argument('--set', help='the OOD set\'s name in that folder')
    p.add_argument('--score', help='which score (e.g. MCM)')
    p.add_argument('--drop-above', type=float, help='drop images scoring above this')
    p.add_argument('--drop-top-fraction', type=float,
                   help='drop this fraction of the set, highest scores first')
    p.add_argument('--out', required=True, help='the cleaned list file')
    return p.parse_args(argv)


def list_images(root, images, list_file):
    folder = osp.join(root, images)
    if list_file:
        path = osp.join(root, list_file)
        if not osp.isfile(path):
            raise SystemExit(f'List file {path!r} does not exist.')
        with open(path, encoding='utf-8') as f:
            return [list_entry(line, folder) for line in f if line.strip()]
    if not osp.isdir(folder):
        raise SystemExit(f'Image folder {folder!r} does not exist: set --root / --images to '
                         'your copy of the OOD set.')
    out = []
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if name.lower().endswith(IMG_EXTENSIONS):
                out.append(osp.relpath(osp.join(dirpath, name), folder))
    return sorted(out)


def read_exclusions(paths, folder):
    """``(image, exclusion file name)`` of each listed image, read as an image list's lines
    (:func:`mmopen.datasets.ood_sets.list_entry`: a tab, or the first space of a line that is
    not a path with spaces under ``folder``, ends the path)."""
    names = []
    for path in paths:
        if not osp.isfile(path):
            raise SystemExit(f'Exclusion file {path!r} does not exist.')
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    names.append((list_entry(line, folder), osp.basename(path)))
    return names


def flagged_by_scores(args, folder):
    import numpy as np

    if not (args.set and args.score):
        raise SystemExit('--scores needs --set and --score.')
    if (args.drop_above is None) == (args.drop_top_fraction is None):
        raise SystemExit('--scores needs exactly one of --drop-above / --drop-top-fraction.')
    try:
        saved = load_scores(args.scores)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    if args.set not in saved['ood_scores']:
        raise SystemExit(f'{args.scores} has no OOD set {args.set!r} (it has '
                         f'{list(saved["ood_scores"])}).')
    if args.score not in saved['ood_scores'][args.set]:
        raise SystemExit(f'{args.scores} has no score {args.score!r} (it has '
                         f'{list(saved["ood_scores"][args.set])}).')
    paths = saved['image_paths'].get(args.set)
    if not paths:
        raise SystemExit(f'{args.scores} records no image paths for {args.set!r}: save the '
                         'scores again with this version of tools/test.py.')
    scores = np.asarray(saved['ood_scores'][args.set][args.score])
    if len(scores) != len(paths):
        raise SystemExit(f'{args.score!r} scored {len(scores)} of the {len(paths)} images of '
                         f'{args.set!r} (a stream score run with id_ood_ratio): flag with a '
                         'per-sample score such as MCM or NegLabel.')
    order = np.argsort(-scores, kind='stable')
    if args.drop_above is not None:
        picked = [i for i in order if scores[i] > args.drop_above]
    else:
        if not 0 < args.drop_top_fraction < 1:
            raise SystemExit(f'--drop-top-fraction {args.drop_top_fraction} must be in (0, 1).')
        picked = list(order[:int(round(args.drop_top_fraction * len(scores)))])
    out = []
    for i in picked:
        rel = osp.relpath(osp.abspath(paths[i]), osp.abspath(folder))
        out.append((rel, f'{args.score}={scores[i]:.6g}'))
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = osp.join(args.root, args.images)
    images = list_images(args.root, args.images, args.list)
    by_rel = {rel: rel for rel in images}
    by_name = {}
    for rel in images:
        by_name.setdefault(osp.basename(rel), []).append(rel)
    drop, unknown = {}, []
    for name, source in read_exclusions(args.exclude, folder):
        if name in by_rel:
            hits = [name]
        elif '/' in name or os.sep in name:
            hits = []  # a path matches as a path only, never by its file name
        else:
            hits = by_name.get(name, [])
            if len(hits) > 1:
                raise SystemExit(f'{name!r} (in {source}) is the file name of {len(hits)} '
                                 f'images of {folder!r}: {hits[:4]}. Give the path relative to '
                                 'the image folder to say which.')
        if not hits:
            unknown.append(name)
        for rel in hits:
            drop.setdefault(rel, f'listed in {source}')
    if args.scores:
        for rel, why in flagged_by_scores(args, folder):
            if rel not in by_rel:
                raise SystemExit(f'{rel!r} (from {args.scores}) is not an image of '
                                 f'{folder!r}: do --root / --images name the copy that was '
                                 'scored?')
            drop.setdefault(rel, why)
    elif not args.exclude:
        raise SystemExit('Nothing to clean: give --exclude files and / or --scores.')
    kept = [rel for rel in images if rel not in drop]
    write_text_atomic(''.join(f'{rel}\n' for rel in kept), args.out)
    write_text_atomic(''.join(f'{rel}\t{why}\n' for rel, why in drop.items()),
                      args.out + '.removed.txt')
    print(f'{folder}: {len(images)} images, {len(drop)} dropped, {len(kept)} kept -> '
          f'{args.out} (dropped: {args.out}.removed.txt)')
    if unknown:
        print(f'{len(unknown)} excluded names are not in the set, e.g. {unknown[:5]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
