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


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def tiny_clip_files(tmp_path_factory):
    """Random tiny CLIPs saved in every supported release format:
    ``files[(model_name, fmt)] -> path``."""
    from mmopen.testing.tiny_clip import write_clip_file
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
    quickstart (``tests/test_ood/test_quickstart_world.py`` makes its own)."""
    from mmopen.testing.quickstart_data import write_quickstart_data
    from mmopen.testing.tiny_clip import write_clip_file
    root = tmp_path_factory.mktemp('qs') / 'quickstart'
    assert write_quickstart_data(str(root), seg_train=48, seg_val=16, cls_train=8, cls_val=4,
                                 ood=8, world_id=0, seed=TEST_SEED)
    write_clip_file('mmopen-tiny-convnext', str(root / 'tiny_clip_convnext.safetensors'),
                    'safetensors', seed=TEST_SEED, pretrain_on=str(root), steps=200)
    return str(root)


@pytest.fixture(scope='session')
def quickstart_neg_labels(quickstart_data):
    """A negative-label file mined (from the first 1000 WordNet nouns / adjectives) with the
    quickstart's tiny CLIP."""
    import importlib.util
    path = os.path.join(quickstart_data, 'cls', 'neg_labels.txt')
    spec = importlib.util.spec_from_file_location(
        'mine_neg_labels', os.path.join(REPO, 'tools', 'ood', 'mine_neg_labels.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
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
    ``{'root', 'osdg', 'clip', 'inpaint', 'env'}``."""
    import sys

    from tests.tool_runner import run_tool
    root = str(tmp_path_factory.mktemp('seeclip_qs'))
    osdg = osp.join(root, 'osdg')
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable)
    clip = osp.join(root, 'tiny_clip_vit_osdg.safetensors')
    inpaint = osp.join(root, 'tiny_inpaint_osdg')
    seed = ['--seed', str(TEST_SEED)]
    run_tool(['tools/misc/make_osdg_quickstart_data.py', osdg] + seed, env)
    run_tool(['tools/misc/make_tiny_clip.py', '--model', 'mmopen-tiny-vit', '--pretrain-on',
              osdg, '--out', clip] + seed, env)
    run_tool(['tools/misc/make_tiny_inpaint.py', '--out', inpaint, '--pretrain-on', osdg] + seed,
             env)
    return dict(root=root, osdg=osdg, clip=clip, inpaint=inpaint, env=env)
