"""The OVSNet quickstart through the tools: training beats the untrained model by a clear
margin, the checkpoint evaluates over another vocabulary file without code changes, and one-
and two-process evaluation agree."""
import json
import os
import os.path as osp
import sys
import textwrap

import pytest

from tests.tool_runner import free_port, run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QS = osp.join(REPO, 'configs', 'ovsnet', 'quickstart', 'ovsnet_clip-tiny-convnext_quickstart.py')
ITERS = 240






@pytest.fixture(scope='module')
def ovs(quickstart_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp('ovs')
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    cfg = folder / 'ovs_qs.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = {QS!r}
        _data = dict(data_root={seg!r}, vocabulary={seg + '/classes.txt'!r})
        train_dataloader = dict(dataset=_data)
        val_dataloader = dict(dataset=_data)
        test_dataloader = dict(dataset=_data)
        clip = dict(model_name='mmopen-tiny-convnext', weights={weights!r})
        model = dict(backbone=clip, decode_head=dict(text_encoder=clip,
                                                     vocabulary={seg + '/classes.txt'!r}))
        train_cfg = dict(max_iters={ITERS}, val_interval={ITERS})
        param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=0,
                                end={ITERS}, by_epoch=False)]
        default_hooks = dict(checkpoint=dict(interval={ITERS}))
    '''))
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    work = str(folder / 'train')
    run_tool(['tools/train.py', str(cfg), '--work-dir', work], env)
    return dict(cfg=str(cfg), env=env, folder=folder, seg=seg,
                ckpt=osp.join(work, f'iter_{ITERS}.pth'))


def _test(ovs, ckpt, name, *extra, dist=False):
    out_json = str(ovs['folder'] / f'{name}.json')
    if dist:
        args = ['bash', 'tools/dist_test.sh', ovs['cfg'], ckpt, '2']
        env = dict(ovs['env'], PORT=str(free_port()))
    else:
        args = ['tools/test.py', ovs['cfg'], ckpt]
        env = ovs['env']
    out = run_tool(args + ['--work-dir', str(ovs['folder'] / name), '--json', out_json, *extra],
               env)
    with open(out_json) as f:
        return json.load(f), out.stdout + out.stderr


def test_training_beats_the_untrained_model(ovs):
    trained, _ = _test(ovs, ovs['ckpt'], 'trained')
    untrained, _ = _test(ovs, 'none', 'untrained')
    assert trained['mIoU'] > untrained['mIoU'] + 25, (untrained['mIoU'], trained['mIoU'])
    assert trained['mIoU'] > 45, (untrained['mIoU'], trained['mIoU'])


def test_other_vocabulary_file_without_code_changes(ovs):
    vocab = ovs['folder'] / 'more_classes.txt'
    with open(osp.join(ovs['seg'], 'classes.txt')) as f:
        base = f.read()
    vocab.write_text(base + 'sky, heaven\ncar, automobile\nothers, background\n')
    metrics, stdout = _test(ovs, ovs['ckpt'], 'more_vocab', '--cfg-options',
                            f'test_dataloader.dataset.vocabulary={vocab}')
    import glob
    logs = ''.join(open(p).read() for p in glob.glob(
        str(ovs['folder'] / 'more_vocab' / '*' / '*.log')))
    assert 'Open-vocabulary evaluation over 8 classes' in logs
    assert '| others |' in logs and '|  sky   |' in logs  # the per-class table has the new rows
    assert metrics['mIoU'] > 0


def test_single_and_two_process_evaluation_agree(ovs):
    single, _ = _test(ovs, ovs['ckpt'], 'single')
    double, _ = _test(ovs, ovs['ckpt'], 'double', dist=True)
    for k in ('mIoU', 'aAcc', 'mAcc'):
        assert single[k] == pytest.approx(double[k], abs=1e-6), k
