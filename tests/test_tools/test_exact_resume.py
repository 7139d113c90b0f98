"""Resuming reaches the uninterrupted run's weights bit for bit (one thread), for OVSNet (whose
training draws from PyTorch's generators: point sampling, Proxy Calibration's Beta draws) and
SeeCLIP. The interrupted run is the uninterrupted run's checkpoint at mid-training, alone in a
new work dir: what a process killed right after saving it leaves (the SegFormer quickstart's
test kills a process for real, tests/test_tools/test_quickstart.py); ``--resume`` continues to
the end. Without ``RNGStateHook`` the OVSNet run differs (measured: up to 1.9e-3 after 20 more
iterations)."""
import os
import os.path as osp
import shutil
import sys
import textwrap

import torch

from tests.test_tools.ovsnet_config import ovsnet_config
from tests.tool_runner import run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _weights(path):
    from mmopen.compat import safe_torch_load
    return safe_torch_load(path)['state_dict']


def _resume_matches(cfg, work, last, mid, env):
    """Train ``cfg`` to ``last`` in ``work/full``; put its ``mid`` checkpoint alone in
    ``work/resumed`` and resume it; the two final checkpoints must be equal."""
    full, resumed = osp.join(work, 'full'), osp.join(work, 'resumed')
    run_tool(['tools/train.py', cfg, '--work-dir', full], env)
    os.makedirs(resumed)
    shutil.copy(osp.join(full, mid), resumed)
    with open(osp.join(resumed, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(resumed, mid))
    out = run_tool(['tools/train.py', cfg, '--work-dir', resumed, '--resume'], env)
    assert 'resumed' in (out.stdout + out.stderr).lower()
    a, b = _weights(osp.join(full, last)), _weights(osp.join(resumed, last))
    assert set(a) == set(b)
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, differ[:5]
    return a


def test_ovsnet_resumes_bit_exact(quickstart_data, tmp_path):
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    base = osp.join(REPO, 'configs', 'ovsnet', 'quickstart',
                    'ovsnet_clip-tiny-convnext_quickstart.py')
    cfg = ovsnet_config(tmp_path, base, seg, weights, iters=16, checkpoint_every=8)
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    weights_at_end = _resume_matches(cfg, str(tmp_path / 'ovs'), 'iter_16.pth',
                                     'iter_8.pth', env)
    assert any(k.startswith('decode_head') for k in weights_at_end)


def test_seeclip_resumes_bit_exact(seeclip_assets, tmp_path):
    base = osp.join(REPO, 'configs', 'seeclip', 'quickstart',
                    'seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py')
    osdg = seeclip_assets['osdg']
    cfg = tmp_path / 'seeclip.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = {base!r}
        _data = dict(benchmark={osdg + '/benchmark.json'!r}, data_root={osdg!r})
        model = dict(clip=dict(weights={seeclip_assets['clip']!r}),
                     benchmark={osdg + '/benchmark.json'!r})
        train_dataloader = dict(dataset=_data)
        val_dataloader = dict(dataset=_data)
        test_dataloader = dict(dataset=_data)
        train_cfg = dict(max_epochs=4, val_interval=100)
        param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, by_epoch=True,
                                eta_min=1e-5, convert_to_iter_based=True)]
        default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=3, save_best=None))
    '''))
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    _resume_matches(str(cfg), str(tmp_path / 'see'), 'epoch_4.pth', 'epoch_2.pth', env)
