"""No fork after CUDA may have been queried: on a GPU host ``import mmopen`` reaches
``torch.cuda.is_available()``, after which a forked child cannot use CUDA although
``torch.cuda.is_initialized()`` is still False. The host is faked (a CUDA build of torch and an
NVIDIA device node) and what would start a process is recorded instead of run."""
import subprocess
import sys

import pytest
import torch

import mmopen.utils.launch as launch


@pytest.fixture
def gpu_host(monkeypatch):
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    real_glob = __import__('glob').glob
    monkeypatch.setattr('glob.glob', lambda p: ['/dev/nvidia0'] if p.startswith('/dev/nvidia')
                        else real_glob(p))
    assert not torch.cuda.is_initialized()


def test_a_gpu_host_is_seen_without_initialising_cuda(gpu_host, monkeypatch):
    assert launch.cuda_device_present() and not launch.fork_is_safe()
    assert not torch.cuda.is_initialized()
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '')  # every device hidden: forking is fine
    assert launch.fork_is_safe()


def test_this_cpu_host_forks():
    """Where the suite runs without a GPU the forks (10-15 s of imports saved each) stay."""
    if launch.cuda_device_present():
        pytest.skip('a GPU is present here')
    assert launch.fork_is_safe()


def test_check_configs_starts_a_new_interpreter_on_a_gpu_host(gpu_host, monkeypatch, tmp_path):
    from tests.tool_runner import load_tool
    check_configs = load_tool('tools/misc/check_configs.py')
    started = []
    monkeypatch.setattr(check_configs.multiprocessing, 'get_context',
                        lambda *a: pytest.fail('forked on a GPU host'))
    monkeypatch.setattr(check_configs.subprocess, 'run',
                        lambda cmd, **kw: started.append(cmd) or subprocess.CompletedProcess(
                            cmd, 0))
    assert check_configs.run_one(['--one', 'x.py'], str(tmp_path / 'log'), 5) == 0
    assert started and started[0][0] == sys.executable


def test_ranks_on_a_gpu_host_are_new_interpreters_on_the_cpu(gpu_host, monkeypatch):
    """Rank 1 of a 1-GPU host would call set_device(1); the rank tests compare with CPU runs."""
    from tests import tool_runner
    seen = {}
    monkeypatch.setattr(tool_runner, 'ForkedTool', lambda *a, **k: pytest.fail('forked'))
    monkeypatch.setattr(tool_runner, 'run_tool', lambda args, env, *a, **k: seen.update(
        args=args, env=env) or subprocess.CompletedProcess(args, 0, '', ''))
    tool_runner.run_ranks(['tools/train.py', 'c.py'], nproc=2)
    assert seen['args'][1:3] == ['-m', 'torch.distributed.run']
    assert seen['env']['CUDA_VISIBLE_DEVICES'] == ''
