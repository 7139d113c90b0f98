"""tools/synood/generate.py: killed and resumed, sharded over two processes, and its errors."""
import glob
import json
import os
import os.path as osp
import signal
import time

import pytest
from PIL import Image

from tests.conftest import TEST_SEED
from tests.tool_runner import REPO, ForkedTool, free_port, run_tool


@pytest.fixture(scope='module')
def gen_config(tmp_path_factory, generator_cfg, synood_data):
    """The quickstart generation config on the test data: 4 seeds per class (20 images), 4 per
    generator call (blocks 0-3, 4-7, ...: two processes take 3 and 2 blocks)."""
    cfg = dict(generator_cfg)
    cfg.pop('device')
    path = tmp_path_factory.mktemp('gen_cfg') / 'generate.py'
    seed_data = dict(data_root=osp.join(synood_data, 'cls', 'imagenet'),
                     ann_file='meta/train.txt', data_prefix='train', k=4)
    path.write_text(f'synood = {cfg!r}\nseed_data = {seed_data!r}\nseed = {TEST_SEED}\n'
                    "image_format = 'png'\nbatch_size = 4\n")
    return str(path)


def _env(**extra):
    return dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', **extra)


def _snapshot(out):
    """{file name: (inode, mtime_ns, bytes)} of the finished images and records."""
    snap = {}
    for sub in ('images', 'meta'):
        for path in sorted(glob.glob(osp.join(out, sub, '*'))):
            st = os.stat(path)
            with open(path, 'rb') as f:
                snap[osp.join(sub, osp.basename(path))] = (st.st_ino, st.st_mtime_ns, f.read())
    return snap


@pytest.fixture(scope='module')
def one_process(gen_config, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('gen') / 'one')
    run_tool(['tools/synood/generate.py', gen_config, '--out', out, '--no-progress'],
             env=_env())
    return out


def test_one_process_writes_the_set_and_its_manifest(one_process):
    with open(osp.join(one_process, 'manifest.json')) as f:
        manifest = json.load(f)
    records = manifest['records']
    assert manifest['num_seeds'] == len(records) == 20 and manifest['num_id_classes'] == 5
    assert [r['index'] for r in records] == list(range(20))
    for r in records:
        with Image.open(osp.join(one_process, r['image'])) as im:
            assert im.size == (32, 32)
        assert r['prompt'] == f'A photo only remain {r["context"]}.'
        assert len(r['losses']) == 4
    assert [r['source_label'] for r in records] == [c for c in range(5) for _ in range(4)]
    assert sum(r['losses'][-1] < r['losses'][0] for r in records) >= 18
    with open(osp.join(one_process, 'logs', 'rank0.log')) as f:
        log = f.read()
    assert 'generated 20' in log and 'contact sheet:' in log
    # the contact sheet: each seed next to its image, its negative label and losses
    with open(osp.join(one_process, 'contact_sheet.html')) as f:
        page = f.read()
    assert page.count('<tr><td>') == 20 and osp.getsize(
        osp.join(one_process, 'contact_sheet.png')) > 1000
    for r in records:
        assert f'&quot;{r["neg_label"]}&quot;'.replace("'", '&#x27;') in page
        assert f'loss {r["losses"][0]:.3f} -&gt; {r["losses"][-1]:.3f}' in page


def test_sigkill_then_rerun_finishes_without_redoing(gen_config, one_process, tmp_path):
    out = str(tmp_path / 'killed')
    proc = ForkedTool(['tools/synood/generate.py', gen_config, '--out', out, '--no-progress'],
                      _env())
    deadline = time.time() + 300
    try:
        while len(glob.glob(osp.join(out, 'meta', '*.json'))) < 6:
            assert proc.poll() is None and time.time() < deadline, \
                'generation ended before the kill'
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:  # never left running, whatever failed
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished = {k: v for k, v in _snapshot(out).items() if k.startswith('meta/')}
    assert 6 <= len(finished) < 20
    assert not osp.exists(osp.join(out, 'manifest.json'))
    for name in finished:  # a record is written after its image: every recorded image is whole
        image = osp.join(out, 'images', osp.basename(name)[:-5] + '.png')
        with Image.open(image) as im:
            im.load()
    before = _snapshot(out)
    text = run_tool(['tools/synood/generate.py', gen_config, '--out', out, '--no-progress'],
                    env=_env()).stdout
    assert f'{len(finished)} already finished' in text
    after = _snapshot(out)
    for name, meta in finished.items():  # finished items untouched: same file, same bytes
        image = 'images/' + osp.basename(name)[:-5] + '.png'
        assert after[name] == meta and after[image] == before[image]
    assert not glob.glob(osp.join(out, '*', '.*tmp*'))
    # the same set as an uninterrupted run, byte for byte
    ref = _snapshot(one_process)
    assert sorted(after) == sorted(ref)
    assert all(after[k][2] == ref[k][2] for k in ref)
    with open(osp.join(out, 'manifest.json')) as f, \
            open(osp.join(one_process, 'manifest.json')) as g:
        assert json.load(f) == json.load(g)


def test_two_processes_make_the_set_one_process_does(gen_config, one_process, tmp_path):
    out = str(tmp_path / 'two')
    run_tool(['bash', 'tools/synood/dist_generate.sh', gen_config, '2', '--out', out,
              '--no-progress'], env=_env(PORT=str(free_port())))
    got, ref = _snapshot(out), _snapshot(one_process)
    assert sorted(got) == sorted(ref)
    assert all(got[k][2] == ref[k][2] for k in ref)
    with open(osp.join(out, 'manifest.json')) as f, \
            open(osp.join(one_process, 'manifest.json')) as g:
        assert json.load(f) == json.load(g)
    for rank, count in ((0, 12), (1, 8)):
        with open(osp.join(out, 'logs', f'rank{rank}.log')) as f:
            assert f'generated {count}' in f.read()


def test_resuming_with_other_settings_is_refused(gen_config, one_process):
    out = run_tool(['tools/synood/generate.py', gen_config, '--out', one_process,
                    '--no-progress', '--cfg-options', 'synood.guidance.step_size=1.0'], _env(),
                   check=False)
    assert out.returncode != 0
    assert 'other settings' in out.stderr and "['synood']" in out.stderr


def test_a_set_made_in_fp16_is_not_resumed_in_fp32(one_process, gen_config, tmp_path):
    """run.json records fp16: resuming an --amp set without --amp (or the reverse) would mix
    fp16 and fp32 images in one set. (The CPU cannot run --amp; an fp16 run's run.json is
    made from this one's, the tool's own header decides.)"""
    import shutil
    with open(osp.join(one_process, 'run.json')) as f:
        header = json.load(f)
    assert header['fp16'] is False
    amp_set = tmp_path / 'amp_set'
    shutil.copytree(one_process, amp_set)
    with open(amp_set / 'run.json', 'w') as f:
        json.dump(dict(header, fp16=True), f)
    out = run_tool(['tools/synood/generate.py', gen_config, '--out', str(amp_set),
                    '--no-progress'], _env(), check=False)
    assert out.returncode != 0
    assert 'other settings' in out.stderr and "['fp16']" in out.stderr


def test_empty_seed_list_and_amp_without_cuda(gen_config, tmp_path, synood_data):
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    out = run_tool(['tools/synood/generate.py', gen_config, '--out', str(tmp_path / 'o'),
                    '--cfg-options', f'seed_data.ann_file={empty}'], _env(), check=False)
    assert out.returncode != 0 and 'seed list is empty' in out.stderr
    out = run_tool(['tools/synood/generate.py', gen_config, '--out', str(tmp_path / 'o'),
                    '--amp', '--device', 'cpu'], _env(), check=False)
    assert out.returncode != 0 and '--amp needs CUDA' in out.stderr
