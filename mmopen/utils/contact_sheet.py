"""Contact sheets of a generated data set (SynOOD's near-boundary images, SeeCLIP's
pseudo-unknowns): each source image next to the image made from it, with its label and the
guidance loss before and after the noise updates, as one PNG (the first ``max_png`` pairs) and
one HTML page (every pair; it refers to the image files by relative paths, so it opens from the
data set's folder).

``tools/synood/generate.py`` and ``tools/seeclip/generate_pseudo_unknowns.py`` write
``OUT/contact_sheet.png`` and ``OUT/contact_sheet.html`` after the manifest;
``tools/synood/browse.py OUT`` writes them again (or elsewhere, or for another number of pairs).
"""
import html
import json
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mmopen.clip.vocabularies import class_names as names_of
from .io import write_text_atomic
from .sharded_writer import save_image

PAD = 6
LINE = 13


class SheetItem(NamedTuple):
    source: str                 # the source image
    image: str                  # the generated image
    title: str                  # e.g. 'goldfish -> "coral reef"'
    losses: Sequence[float]     # the guidance loss after 0 .. K noise updates


def loss_text(losses: Sequence[float]) -> str:
    """``'loss 1.234 -> 0.567'`` (first and last), or ``'unguided'``."""
    values = [float(v) for v in losses or () if v == v]  # NaN: no guidance
    if not values:
        return 'unguided'
    return f'loss {values[0]:.3f} -> {values[-1]:.3f}'


def _thumb(path: str, size: int) -> Image.Image:
    with Image.open(path) as im:
        im = im.convert('RGB')
        scale = size / max(im.size)
        return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                         Image.BICUBIC)


def render_png(items: Sequence[SheetItem], thumb: int = 96, columns: int = 4) -> np.ndarray:
    """The pairs in a grid of ``columns`` cells: source | generated, the title and the losses
    below (RGB ``uint8``)."""
    font = ImageFont.load_default()
    cell_w, cell_h = 2 * thumb + 3 * PAD, thumb + 2 * PAD + 2 * LINE + PAD
    rows = max(1, -(-len(items) // columns))
    sheet = Image.new('RGB', (columns * cell_w, rows * cell_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for n, item in enumerate(items):
        x, y = (n % columns) * cell_w, (n // columns) * cell_h
        for k, path in enumerate((item.source, item.image)):
            sheet.paste(_thumb(path, thumb), (x + PAD + k * (thumb + PAD), y + PAD))
        for k, text in enumerate((item.title, loss_text(item.losses))):
            while text and draw.textlength(text, font=font) > cell_w - 2 * PAD:
                text = text[:-2] + '…'
            draw.text((x + PAD, y + thumb + 2 * PAD + k * LINE), text, fill=(0, 0, 0),
                      font=font)
    return np.asarray(sheet)


def render_html(items: Sequence[SheetItem], html_path: str, title: str,
                thumb: int = 128) -> str:
    """A page listing every pair (source, generated, title, losses) with image paths relative
    to ``html_path``'s folder."""
    folder = osp.dirname(osp.abspath(html_path))
    rows = []
    for n, item in enumerate(items):
        src, gen = (html.escape(osp.relpath(osp.abspath(p), folder).replace(osp.sep, '/'))
                    for p in (item.source, item.image))
        rows.append(f'<tr><td>{n}</td><td><img src="{src}" width="{thumb}" alt="source"></td>'
                    f'<td><img src="{gen}" width="{thumb}" alt="generated"></td>'
                    f'<td>{html.escape(item.title)}</td>'
                    f'<td>{html.escape(loss_text(item.losses))}</td></tr>')
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title><style>body{{font-family:sans-serif}}'
            'td{padding:4px;vertical-align:middle}img{image-rendering:pixelated}</style>'
            f'</head><body><h1>{html.escape(title)}</h1><p>{len(items)} pairs: the source image, '
            'the image made from it, its label, and the guidance loss before and after the '
            'noise updates.</p>\n<table><tr><th>#</th><th>source</th><th>generated</th>'
            '<th>label</th><th>guidance</th></tr>\n' + '\n'.join(rows) +
            '\n</table></body></html>\n')


def write_contact_sheet(items: Sequence[SheetItem], png_path: str, html_path: str,
                        title: str, max_png: int = 64, columns: int = 4,
                        thumb: int = 96) -> Tuple[str, str]:
    """Write the PNG (the first ``max_png`` pairs) and the HTML page (all), each atomically;
    returns their paths."""
    if not items:
        raise ValueError(f'{title}: no generated image to show.')
    save_image(render_png(list(items)[:max_png], thumb, columns), png_path, 'png')
    write_text_atomic(render_html(items, html_path, title), html_path)
    return png_path, html_path


def manifest_items(out: str,
                   class_names: Optional[Sequence[str]] = None) -> Tuple[List[SheetItem], dict]:
    """The pairs of a data set written by :mod:`mmopen.utils.sharded_writer` (``OUT`` with its
    ``manifest.json``) and the manifest: SynOOD records are titled ``class -> "negative
    label"``, SeeCLIP's ``class (domain) -> unknown``; classes by name when ``class_names``
    (or the manifest's vocabulary) gives them."""
    path = osp.join(out, 'manifest.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist: {out!r} is not a finished generated '
                                'data set (run the generation to its end first).')
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)
    if class_names is None and manifest.get('vocabulary'):
        class_names = names_of(manifest['vocabulary'])
    root = manifest.get('data_root', '')
    items = []
    for r in manifest['records']:
        label = r.get('source_label', -1)
        name = class_names[label] if class_names and 0 <= label < len(class_names) else \
            f'class {label}'
        if 'neg_label' in r:
            title = f'{name} -> "{r["neg_label"]}"'
        else:
            title = f'{name} ({r.get("domain", "?")}) -> unknown'
        source = r['source'] if osp.isabs(r['source']) else osp.join(root, r['source'])
        items.append(SheetItem(source, osp.join(out, r['image']), title, r.get('losses', ())))
    return items, manifest


def sheet_of_set(out: str, class_names: Optional[Sequence[str]] = None,
                 png_path: Optional[str] = None, html_path: Optional[str] = None,
                 max_png: int = 64, title: Optional[str] = None) -> Tuple[str, str]:
    """Write the contact sheet of the generated set in ``out`` (default:
    ``OUT/contact_sheet.png`` and ``OUT/contact_sheet.html``)."""
    items, manifest = manifest_items(out, class_names)
    kind = ('SeeCLIP pseudo-unknowns' if manifest.get('kind') == 'seeclip_pseudo_unknowns'
            else 'SynOOD images')
    return write_contact_sheet(items, png_path or osp.join(out, 'contact_sheet.png'),
                               html_path or osp.join(out, 'contact_sheet.html'),
                               title or f'{kind}: {osp.abspath(out)}', max_png=max_png)
