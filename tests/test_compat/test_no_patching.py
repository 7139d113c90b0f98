"""``import mmopen`` and a run of its tools' runner leave MMEngine as a fresh process has it:
every MMEngine function mmopen could be tempted to replace is checked by identity in a new
interpreter before and after (a patch at import or at runner build time fails this)."""
import subprocess
import sys
import textwrap

from mmopen.engine.runner import cpu_dist_cfg

PROBE = textwrap.dedent('''
    import datetime
    import mmengine.config.config as config_module
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    from mmengine.runner import Runner
    from mmengine.runner import checkpoint as ckpt

    def snapshot():
        return dict(
            format_code=config_module.FormatCode,
            init_dist=dist_utils.init_dist,
            init_dist_pytorch=dist_utils._init_dist_pytorch,
            ddp_init=MMDistributedDataParallel.__init__,
            wrap_model=Runner.wrap_model, setup_env=Runner.setup_env,
            load_checkpoint=Runner.load_checkpoint, resume=Runner.resume,
            schemes=dict(ckpt.CheckpointLoader._schemes),
            load_from_local=ckpt.load_from_local)

    before = snapshot()
    import mmopen  # noqa: F401
    from mmengine.config import Config
    from torch import nn
    from mmopen.utils.launch import build_runner
    runner = build_runner(Config(dict(model=nn.Linear(2, 2), work_dir=WORK,
                                      default_scope='mmengine')))
    assert type(runner).__name__ == 'MMOpenRunner', type(runner)
    after = snapshot()
    changed = [k for k in before if before[k] != after[k]]
    assert not changed, f'replaced in MMEngine: {changed}'
    print('unchanged', len(before))
''')


def test_import_and_runner_build_replace_nothing_in_mmengine(tmp_path):
    code = f'WORK = {str(tmp_path)!r}\n' + PROBE
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'unchanged 10' in out.stdout


def test_cpu_dist_cfg_switches_nccl_and_converts_the_timeout():
    import datetime
    assert cpu_dist_cfg(dict(backend='nccl', timeout=60)) == dict(
        backend='gloo', timeout=datetime.timedelta(seconds=60))
    assert cpu_dist_cfg(None) == dict(backend='gloo')
    assert cpu_dist_cfg(dict(backend='gloo', init_backend='torch')) == dict(backend='gloo')
