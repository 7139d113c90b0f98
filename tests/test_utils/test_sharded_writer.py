"""The generation writer's batches: fixed blocks of consecutive seeds, dealt out to the
processes in turn; a resumed run generates a block with unfinished items again whole (the same
batch companions as an uninterrupted run) and writes only the unfinished items."""
import os
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from mmopen.utils.sharded_writer import Seed, batch_size, generate_shard, seed_blocks


class Recorder:
    """A generator whose image is a function of the whole batch it came in (its seed plus the
    sum of the batch's seeds), so an item made with other companions has other pixels."""

    def __init__(self):
        self.calls = []

    def generate(self, images, paths, labels, seeds):
        self.calls.append(list(paths))
        total = sum(seeds) % 251
        return [SimpleNamespace(image=np.full((4, 4, 3), (s + total) % 256, np.uint8))
                for s in seeds]


@pytest.fixture
def seeds(tmp_path):
    root = tmp_path / 'src'
    root.mkdir()
    out = []
    for i in range(10):
        Image.fromarray(np.full((4, 4, 3), i, np.uint8)).save(root / f'{i}.png')
        out.append(Seed(f'{i}.png', i % 3, 0.0))
    return str(root), out


def _run(seeds, out, **kw):
    root, items = seeds
    gen = Recorder()
    counts = generate_shard(lambda: gen, items, root, str(out), 7, fmt='png', progress=False,
                            **kw)
    return gen.calls, counts


def _pixels(out):
    return {f: np.asarray(Image.open(osp.join(out, 'images', f))).copy()
            for f in sorted(os.listdir(osp.join(out, 'images')))}


def test_blocks_are_consecutive_and_dealt_in_turn():
    assert seed_blocks(10, 4) == [range(0, 4), range(4, 8), range(8, 10)]
    assert seed_blocks(10, 4, rank=0, world=2) == [range(0, 4), range(8, 10)]
    assert seed_blocks(10, 4, rank=1, world=2) == [range(4, 8)]
    assert seed_blocks(3, 1, rank=1, world=2) == [range(1, 2)]
    with pytest.raises(ValueError, match='batch_size=0'):
        seed_blocks(3, 0)
    with pytest.raises(SystemExit, match='at least one image'):
        batch_size(0)
    assert batch_size(1) == {} and batch_size('4') == dict(batch_size=4)


def test_two_processes_write_what_one_does(seeds, tmp_path):
    calls, counts = _run(seeds, tmp_path / 'one', batch_size=4)
    assert calls == [[f'{i}.png' for i in b] for b in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9])]
    assert counts == dict(generated=10, skipped=0)
    c0, n0 = _run(seeds, tmp_path / 'two', batch_size=4, rank=0, world=2)
    c1, n1 = _run(seeds, tmp_path / 'two', batch_size=4, rank=1, world=2)
    assert (n0['generated'], n1['generated']) == (6, 4)
    one, two = _pixels(tmp_path / 'one'), _pixels(tmp_path / 'two')
    assert one.keys() == two.keys() and len(one) == 10
    assert all(np.array_equal(one[k], two[k]) for k in one)


def test_a_resumed_block_is_generated_whole_and_only_its_missing_items_written(seeds, tmp_path):
    out = tmp_path / 'run'
    _run(seeds, out, batch_size=4)
    ref = _pixels(out)
    # item 5 (block 4-7) was never finished: its record and image are missing
    os.remove(out / 'meta' / '0000005.json')
    os.remove(out / 'images' / '0000005.png')
    kept = {i: os.stat(out / 'meta' / f'{i:07d}.json').st_mtime_ns for i in (4, 6, 7)}
    calls, counts = _run(seeds, out, batch_size=4)
    assert calls == [['4.png', '5.png', '6.png', '7.png']]
    assert counts == dict(generated=1, skipped=9)
    assert {i: os.stat(out / 'meta' / f'{i:07d}.json').st_mtime_ns for i in kept} == kept
    got = _pixels(out)
    assert all(np.array_equal(got[k], ref[k]) for k in ref)
    # the same item alone (batch of one) has other companions, so other pixels here
    os.remove(out / 'meta' / '0000005.json')
    _run(seeds, out, batch_size=1)
    assert not np.array_equal(_pixels(out)['0000005.png'], ref['0000005.png'])
