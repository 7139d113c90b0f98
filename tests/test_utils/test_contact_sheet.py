"""Contact sheets of a generated set: every pair in the HTML (paths that resolve from the page's
folder), the first pairs in the PNG (the source's thumbnail where the grid puts it), the labels
and the losses before and after."""
import json
import os
import os.path as osp
import re

import numpy as np
from PIL import Image

from mmopen.utils.contact_sheet import PAD, loss_text, sheet_of_set
from mmopen.utils.sharded_writer import Seed, generate_shard, write_manifest
from tests.tool_runner import run_tool


class Maker:
    def generate(self, images, paths, labels, seeds):
        from types import SimpleNamespace
        return [SimpleNamespace(image=255 - img, neg=f'word{lb}', losses=[2.0 + lb, 1.0 + lb])
                for img, lb in zip(images, labels)]


def _set(tmp_path, n=6):
    root = tmp_path / 'seeds'
    root.mkdir()
    rng = np.random.default_rng(0)
    seeds = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (20, 30, 3), np.uint8)).save(root / f'{i}.png')
        seeds.append(Seed(f'{i}.png', i % 3, 0.0))
    vocab = tmp_path / 'classes.txt'
    vocab.write_text('goldfish\nshark, great white\nhen\n')
    out = str(tmp_path / 'set')
    generate_shard(lambda: Maker(), seeds, str(root), out, 0, fmt='png', progress=False,
                   record_of=lambda s: dict(neg_label=s.neg, losses=s.losses), batch_size=4)
    write_manifest(out, n, dict(seed=0, num_seeds=n, image_format='png', data_root=str(root),
                                vocabulary=str(vocab)), 'png')
    return out, root


def test_sheet_of_a_set(tmp_path):
    out, root = _set(tmp_path)
    png, html = sheet_of_set(out, max_png=4)
    assert (png, html) == (osp.join(out, 'contact_sheet.png'), osp.join(out, 'contact_sheet.html'))
    page = open(html).read()
    rows = re.findall(r'<tr><td>(\d+)</td><td><img src="([^"]+)".*?<img src="([^"]+)".*?'
                      r'<td>([^<]*)</td><td>([^<]*)</td></tr>', page)
    assert [int(r[0]) for r in rows] == list(range(6))
    for i, (_, src, gen, title, losses) in enumerate(rows):
        assert osp.samefile(osp.join(out, src), root / f'{i}.png')
        assert osp.samefile(osp.join(out, gen), osp.join(out, 'images', f'{i:07d}.png'))
        name = ['goldfish', 'shark', 'hen'][i % 3]
        assert title == f'{name} -&gt; &quot;word{i % 3}&quot;'
        assert losses == f'loss {2.0 + i % 3:.3f} -&gt; {1.0 + i % 3:.3f}'
    sheet = np.asarray(Image.open(png))
    assert sheet.shape[1] == 4 * (2 * 96 + 3 * PAD) and sheet.shape[0] < 2 * (96 + 60)
    # the first cell: the source scaled to 96 px wide, then its generated image (inverted)
    src = np.asarray(Image.open(root / '0.png').resize((96, 64), Image.BICUBIC))
    assert np.array_equal(sheet[PAD:PAD + 64, PAD:PAD + 96], src)
    gen = sheet[PAD:PAD + 64, 2 * PAD + 96:2 * PAD + 192].astype(int)
    assert np.abs(gen + src.astype(int) - 255).mean() < 8  # inverse, up to resampling
    assert loss_text([float('nan')] * 3) == 'unguided'


def test_browse_tool_writes_elsewhere_and_names_a_missing_manifest(tmp_path):
    out, _ = _set(tmp_path)
    text = run_tool(['tools/synood/browse.py', out, '--png', str(tmp_path / 'a.png'), '--html',
                     str(tmp_path / 'a.html')]).stdout
    assert 'a.png' in text and osp.getsize(tmp_path / 'a.png') > 1000
    assert open(tmp_path / 'a.html').read().count('<tr><td>') == 6
    os.remove(osp.join(out, 'manifest.json'))
    res = run_tool(['tools/synood/browse.py', out], check=False)
    assert res.returncode != 0 and 'manifest.json does not exist' in res.stderr
    with open(osp.join(out, 'meta', '0000000.json')) as f:
        assert json.load(f)['neg_label'] == 'word0'
