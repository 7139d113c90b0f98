"""The test suite's forked tool processes (tests/tool_runner.py): ``run_ranks`` starts ranks the
way ``torchrun`` does on one node, ``ForkedTool`` behaves as a process of its own."""
import os
import signal
import textwrap
import time

from tests.tool_runner import REPO, ForkedTool, run_ranks

TOOL = textwrap.dedent('''
    import argparse
    import os
    import sys
    import time


    def main(argv):
        p = argparse.ArgumentParser()
        p.add_argument('what')
        p.add_argument('--launcher', default='none')
        args = p.parse_args(argv)
        print('rank', os.environ.get('RANK'), 'of', os.environ.get('WORLD_SIZE'), 'launcher',
              args.launcher, 'threads', os.environ.get('OMP_NUM_THREADS'), 'cwd', os.getcwd(),
              'marker', os.environ.get('MARKER'), flush=True)
        if args.what == 'all_reduce':
            import torch
            import torch.distributed as dist
            dist.init_process_group('gloo')
            value = torch.tensor([float(dist.get_rank() + 1)])
            dist.all_reduce(value)
            print('sum', value.item(), 'torch threads', torch.get_num_threads())
            dist.destroy_process_group()
        elif args.what == 'rank1_fails':
            if os.environ['RANK'] == '1':
                raise SystemExit('rank 1 gives up')
            time.sleep(300)  # as a rank waiting in a collective for the failed one
        elif args.what == 'sleep':
            time.sleep(300)
        elif args.what == 'crash':
            raise ValueError('broken input')
        return 0
''')


def _tool(tmp_path):
    path = tmp_path / 'tool.py'
    path.write_text(TOOL)
    return str(path)


def test_ranks_get_torchruns_variables_and_reduce_over_gloo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the ranks still run in the repository root
    env = {k: v for k, v in os.environ.items() if k != 'OMP_NUM_THREADS'}
    out = run_ranks([_tool(tmp_path), 'all_reduce'], 2, env=dict(env, MARKER='given')).stdout
    for rank in (0, 1):
        section = out.split(f'--- rank {rank} ---')[1].split('--- rank')[0]
        assert (f'rank {rank} of 2 launcher pytorch threads 1 cwd {REPO} marker given'
                in section)
        assert 'sum 3.0 torch threads 1' in section  # 1 + 2, each rank with one thread


def test_a_failed_rank_ends_the_others(tmp_path):
    start = time.time()
    res = run_ranks([_tool(tmp_path), 'rank1_fails'], 2, check=False)
    assert time.time() - start < 60  # not the sleeping rank's 300 s
    assert res.returncode == 1 and 'rank 1 gives up' in res.stdout


def test_ranks_past_their_time_are_ended_with_status_124(tmp_path):
    start = time.time()
    res = run_ranks([_tool(tmp_path), 'sleep'], 2, timeout=2, check=False)
    assert res.returncode == 124 and time.time() - start < 60
    assert res.stdout.count('launcher pytorch') == 2  # both had started


def test_a_forked_tool_is_killed_and_reports_its_status_and_output(tmp_path):
    log = str(tmp_path / 'log')
    proc = ForkedTool([_tool(tmp_path), 'sleep'], dict(os.environ, MARKER='m'), log)
    deadline = time.time() + 30
    while not (os.path.isfile(log) and 'marker m' in open(log).read()):
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL and proc.returncode == -signal.SIGKILL
    crash = ForkedTool([_tool(tmp_path), 'crash'], log=log)
    assert crash.wait(timeout=60) == 1  # a crash is exit status 1, with its traceback
    assert 'ValueError: broken input' in open(log).read()
