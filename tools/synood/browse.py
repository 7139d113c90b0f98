"""A contact sheet of a generated data set: each ID seed image next to its SynOOD image (or each
source next to its SeeCLIP pseudo-unknown), with the label and the guidance loss before and
after, as a PNG and an HTML page (:mod:`mmopen.utils.contact_sheet`).

    python tools/synood/browse.py OUT [--png FILE] [--html FILE] [--max-png N]

OUT is a finished set (with its ``manifest.json``) of ``tools/synood/generate.py`` or
``tools/seeclip/generate_pseudo_unknowns.py``, which write ``OUT/contact_sheet.png`` and
``OUT/contact_sheet.html`` themselves; this writes them again, elsewhere or with more pairs.
"""
import argparse
import sys

from mmopen.clip.vocabularies import class_names
from mmopen.utils.contact_sheet import sheet_of_set


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out', help='the generated set\'s folder (with manifest.json)')
    p.add_argument('--png', help='the PNG (default: OUT/contact_sheet.png)')
    p.add_argument('--html', help='the HTML page (default: OUT/contact_sheet.html)')
    p.add_argument('--max-png', type=int, default=64, help='pairs in the PNG (the HTML has all)')
    p.add_argument('--classes', help='a vocabulary of the source labels (default: the set\'s '
                   'own, for SynOOD; class indices otherwise)')
    args = p.parse_args(argv)
    names = class_names(args.classes) if args.classes else None
    try:
        png, html = sheet_of_set(args.out, names, args.png, args.html, args.max_png)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    print(f'contact sheet: {png}\n               {html}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
