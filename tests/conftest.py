"""Test-wide set-up: no network, no hub, a private cache, tiny CLIP files and quickstart data.

Every test runs offline: ``HF_HUB_OFFLINE=1`` and a socket guard that refuses any connection that
is not to this machine (loopback or a Unix socket), so a component that reaches for a model hub
fails loudly here.

``MMOPEN_TEST_SEED`` (default 0) is the seed of the whole chain behind the learning-effect tests:
the quickstart data, the tiny models pre-trained on it, and the training and generation runs
(:data:`TEST_SEED`). Floating point differs between machines and every tiny model downstream
moves with it; running the suite with other seeds (and with ``OMP_NUM_THREADS=1``, which changes
the reduction order the way another CPU does) checks that an effect test's margin is supported
by the seed-to-seed spread, not by one machine's numbers.
"""
import ipaddress
import os
import os.path as osp
import socket
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

TEST_SEED = int(os.environ.get('MMOPEN_TEST_SEED', '0'))

os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'
os.environ.setdefault('MMOPEN_CACHE_DIR', osp.join(
    os.environ.get('PYTEST_MMOPEN_TMP', '/tmp'), f'mmopen-test-cache-{os.getpid()}'))


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ('localhost', ''):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkAccessError(RuntimeError):
    pass


def _guarded_connect(self, address):
    if not _is_local(address):
        raise NetworkAccessError(f'test tried to connect to {address!r}: tests run offline')
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise NetworkAccessError(f'test tried to connect to {address!r}: tests run offline')
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


# The modules with the longest set-ups (trained quickstart chains, real-size models) start first,
# so that with several workers (``make test`` runs ``pytest -n 2 --dist loadfile``) none of them
# is left to run alone at the end; the rest keep their order.
SLOW_FIRST = (
    'test_tools/test_seeclip_quickstart.py', 'test_tools/test_check_configs.py',
    'test_synood/test_finetuning.py', 'test_tools/test_ovsnet_quickstart.py',
    'test_tools/test_quickstart.py', 'test_synood/test_generate_tool.py',
    'test_tools/test_ood_tools.py', 'test_ood/test_released_pools.py',
)


def pytest_configure(config):
    """MMEngine's config formatting memoized in the test process (tests/config_format.py:
    the suite builds many runners per process; users' runs keep MMEngine as it is). A
    pytest-xdist worker computes with one thread: the workers share the cores, and
    threads beyond them only contend (the learning tests hold with ``OMP_NUM_THREADS=1``)."""
    from tests.config_format import memoize_config_formatting
    memoize_config_formatting()  # the suite's many runners per process: each config once
    if os.environ.get('PYTEST_XDIST_WORKER') and 'OMP_NUM_THREADS' not in os.environ:
        os.environ['OMP_NUM_THREADS'] = '1'
        if 'torch' in sys.modules:
            sys.modules['torch'].set_num_threads(1)


# fixtures that copy an entry of tests/assets.py -> the entry
ASSET_FIXTURES = {'quickstart_data': 'quickstart', 'synood_asset': 'synood',
                  'world_data': 'world', 'seeclip_assets': 'seeclip', 'ovsnet_world': 'ovsnet'}


def pytest_collection_finish(session):
    """Build the pre-trained inputs the selected tests use before the first test starts, so
    that no test's time limit includes pre-training (``make test`` builds them all in its
    set-up; then this finds them built)."""
    if os.environ.get('MMOPEN_TEST_ASSETS') == 'skip':
        return
    needed = {ASSET_FIXTURES[name] for item in session.items
              for name in getattr(item, 'fixturenames', ()) if name in ASSET_FIXTURES}
    if needed:
        from tests.assets import asset_path
        for name in sorted(needed):
            asset_path(name)


def pytest_collection_modifyitems(session, config, items):
    if os.environ.get('MMOPEN_TEST_ASSETS') == 'skip':  # the GPU check's minutes on a bare node
        skip = pytest.mark.skip(reason='needs a pre-trained test asset (minutes to build); '
                                'MMOPEN_TEST_ASSETS=skip')
        for item in items:
            if set(getattr(item, 'fixturenames', ())) & set(ASSET_FIXTURES):
                item.add_marker(skip)
    def rank(item):
        rel = osp.relpath(str(item.path), osp.join(REPO, 'tests'))
        return SLOW_FIRST.index(rel) if rel in SLOW_FIRST else len(SLOW_FIRST)
    items.sort(key=rank)  # stable: each module's tests keep their order


def _drop_new_default_scopes():
    """Yield, then remove the mmengine default scopes created meanwhile: a registry build
    resolves in the scope the last one names, so a scope one test module set (``mmseg`` by a
    segmentation run) would otherwise decide where the next module's ``mmpretrain`` builds
    look, and the result would depend on which modules a worker happened to run before."""
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in [n for n in DefaultScope._instance_dict if n not in before]:
        DefaultScope._instance_dict.pop(name)


@pytest.fixture(autouse=True, scope='module')
def _module_default_scope():
    yield from _drop_new_default_scopes()


@pytest.fixture(autouse=True)
def _test_default_scope():
    yield from _drop_new_default_scopes()


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def tiny_clip_files(tmp_path_factory):
    """Random tiny CLIPs saved in every supported release format:
    ``files[(model_name, fmt)] -> path``."""
    from mmopen.quickstart.tiny_clip import write_clip_file
    folder = tmp_path_factory.mktemp('tiny_clip')
    files = {}
    for model in ('mmopen-tiny-convnext', 'mmopen-tiny-vit'):
        for fmt, ext in (('safetensors', 'safetensors'), ('bin', 'bin'),
                         ('openai-jit', 'pt'), ('openai-state-dict', 'pt')):
            path = str(folder / f'{model}-{fmt}.{ext}')
            files[(model, fmt)] = write_clip_file(model, path, fmt, seed=1)
    return files


@pytest.fixture(scope='session')
def quickstart_data(tmp_path_factory):
    """A small copy of the quickstart data and its tiny CLIP (pre-trained on it, as
    ``make quickstart-data`` does) in a temp folder; without the open world of the OOD
    quickstart (``tests/test_ood/test_quickstart_world.py`` has its own). Built once per
    machine and code version (``tests/assets.py``)."""
    from tests.assets import private_copy
    return osp.join(private_copy('quickstart', str(tmp_path_factory.mktemp('qs'))),
                    'quickstart')


@pytest.fixture(scope='session')
def ovsnet_world(tmp_path_factory):
    """A copy of a quickstart world's data and tiny ConvNeXt CLIP of seed :data:`TEST_SEED`,
    made as ``make quickstart-data`` makes them (``tests/assets.py``)."""
    from tests.assets import private_copy
    return osp.join(private_copy('ovsnet', str(tmp_path_factory.mktemp('ovs_world'))),
                    'quickstart')


@pytest.fixture(scope='session')
def quickstart_neg_labels(quickstart_data):
    """A negative-label file mined (from the first 1000 WordNet nouns / adjectives) with the
    quickstart's tiny CLIP."""
    from tests.tool_runner import load_tool
    path = os.path.join(quickstart_data, 'cls', 'neg_labels.txt')
    tool = load_tool('tools/ood/mine_neg_labels.py')
    assert tool.main([
        '--clip-model', 'mmopen-tiny-convnext', '--clip-weights',
        os.path.join(quickstart_data, 'tiny_clip_convnext.safetensors'), '--id-vocab',
        os.path.join(quickstart_data, 'cls', 'imagenet', 'meta', 'classes.txt'),
        '--max-words', '1000', '--out', path
    ]) == 0
    return path


@pytest.fixture(scope='session')
def seeclip_assets(tmp_path_factory):
    """The SeeCLIP quickstart's data, tiny CLIP ViT and tiny inpainting model of seed
    :data:`TEST_SEED`, written by the tools ``make quickstart-data`` runs, in its layout:
    ``{'root', 'osdg', 'clip', 'inpaint', 'env'}`` (a private copy of ``tests/assets.py``'s
    entry)."""
    from tests.assets import private_copy
    root = private_copy('seeclip', str(tmp_path_factory.mktemp('seeclip_qs')))
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable)
    return dict(root=root, osdg=osp.join(root, 'osdg'), env=env,
                clip=osp.join(root, 'tiny_clip_vit_osdg.safetensors'),
                inpaint=osp.join(root, 'tiny_inpaint'))
