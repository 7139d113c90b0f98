"""The test-asset cache: an entry is rebuilt exactly when a file its builder reads changes, is
built once by concurrent builders, and a failed build leaves nothing behind."""
import os
import os.path as osp
import threading
import time

import pytest

from tests.asset_cache import AssetCache, import_closure
from tests.assets import ASSETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

FILES = {
    # the top-level package registers everything; only its compat module acts on a builder
    'mmopen/__init__.py': 'from . import compat\nfrom . import models, heads  # noqa\n',
    'mmopen/compat.py': 'X = 1\n',
    'mmopen/models.py': 'from mmopen.heads import H\n',
    'mmopen/heads.py': 'H = 1\n',
    # a package's re-exports: a builder that imports mmopen.a.x does not read z
    'mmopen/a/__init__.py': 'from .x import g\nfrom .z import q\n',
    'mmopen/a/z.py': 'import mmopen.heads\nq = 1\n',
    'mmopen/a/x.py': 'from .y import f\nfrom ..util import u\nimport numpy\n\ng = f\n',
    'mmopen/a/y.py': 'from mmopen import b_sub\nf = 1\n',
    'mmopen/b_sub.py': '',
    'mmopen/util.py': 'u = 1\n',
    'mmopen/unused.py': 'import mmopen.heads\n',
    'tools/build.py': 'import mmopen.a.x\n',
    'tools/build_from_package.py': 'from mmopen.a import q\n',
}


@pytest.fixture
def repo(tmp_path):
    for rel, text in FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_the_closure_follows_imports_but_not_the_top_level_registrations(repo):
    got = import_closure(repo, [osp.join(repo, 'tools/build.py')])
    assert got == sorted([
        'tools/build.py', 'mmopen/__init__.py', 'mmopen/compat.py', 'mmopen/a/__init__.py',
        'mmopen/a/x.py', 'mmopen/a/y.py', 'mmopen/b_sub.py', 'mmopen/util.py'])
    # importing from the package itself reads what its __init__ imports
    got = import_closure(repo, [osp.join(repo, 'tools/build_from_package.py')])
    assert {'mmopen/a/x.py', 'mmopen/a/z.py', 'mmopen/heads.py'} <= set(got)
    assert 'mmopen/models.py' not in got


def test_an_entry_is_rebuilt_exactly_when_a_file_it_reads_changes(repo, tmp_path):
    cache = AssetCache(repo, str(tmp_path / 'cache'), log=lambda *_: None)
    builds = []

    def build(out):
        builds.append(out)
        with open(osp.join(out, 'weights.txt'), 'w') as f:
            f.write(str(len(builds)))

    def get():
        return cache.get('tiny', dict(steps=3), ['tools/build.py'], build)

    first = get()
    assert get() == first and len(builds) == 1
    with open(osp.join(first, 'weights.txt')) as f:
        assert f.read() == '1'
    with open(osp.join(repo, 'mmopen', 'heads.py'), 'a') as f:  # not read by the builder
        f.write('H = 2\n')
    assert get() == first and len(builds) == 1
    with open(osp.join(repo, 'mmopen', 'util.py'), 'a') as f:  # read, two imports down
        f.write('u = 2\n')
    second = get()
    assert second != first and len(builds) == 2
    assert not osp.exists(first)  # the stale entry of the same parameters is removed
    other = cache.get('tiny', dict(steps=4), ['tools/build.py'], build)
    assert other != second and osp.isdir(second) and len(builds) == 3


def test_a_failed_build_leaves_nothing_and_the_next_call_builds(repo, tmp_path):
    root = tmp_path / 'cache'
    cache = AssetCache(repo, str(root), log=lambda *_: None)

    def fail(out):
        open(osp.join(out, 'half.bin'), 'w').close()
        raise RuntimeError('out of memory')

    with pytest.raises(RuntimeError, match='out of memory'):
        cache.get('tiny', {}, ['tools/build.py'], fail)
    assert [e for e in os.listdir(root) if not e.startswith('.')] == []
    path = cache.get('tiny', {}, ['tools/build.py'], lambda out: None)
    assert osp.isfile(osp.join(path, 'mmopen_asset.json'))


def test_concurrent_builders_build_once(repo, tmp_path):
    calls, paths = [], []

    def build(out):
        calls.append(1)
        time.sleep(0.3)  # the other builder arrives while this one works

    def worker():
        cache = AssetCache(repo, str(tmp_path / 'cache'), log=lambda *_: None)
        paths.append(cache.get('tiny', {}, ['tools/build.py'], build))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(paths)) == 1


def test_the_suite_assets_are_keyed_by_their_pretraining_code():
    """The key covers the code the tiny models are pre-trained with, and not the components
    under test (a head or a metric edit must not rebuild 20 minutes of assets)."""
    for name, (_, _, sources) in ASSETS.items():
        files = import_closure(REPO, [osp.join(REPO, s) for s in sources])
        assert {'mmopen/quickstart/tiny_clip.py', 'mmopen/quickstart/tiny_pretrain.py',
                'mmopen/clip/build.py', 'mmopen/compat/checkpoint.py'} <= set(files), name
        assert not [f for f in files if f.startswith(('mmopen/models/', 'mmopen/evaluation/'))]
        if name in ('synood', 'seeclip'):
            assert 'mmopen/quickstart/tiny_diffusion.py' in files
