"""Generation ranks under torchrun: each CUDA rank is bound to its own GPU before NCCL starts."""
import pytest
import torch


@pytest.fixture
def calls(monkeypatch):
    """Records torch.cuda.set_device and init_process_group calls, in order (nothing runs)."""
    seen = []
    monkeypatch.setattr(torch.cuda, 'set_device', lambda d: seen.append(('set_device', str(d))))
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda backend, **kw: seen.append(('init', backend)))
    return seen


def _torchrun_env(monkeypatch, rank, world, local_rank):
    monkeypatch.setenv('RANK', str(rank))
    monkeypatch.setenv('WORLD_SIZE', str(world))
    monkeypatch.setenv('LOCAL_RANK', str(local_rank))


def test_cuda_rank_is_bound_to_its_gpu_before_nccl(monkeypatch, calls):
    from mmopen.utils.sharded_writer import init_ranks
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    _torchrun_env(monkeypatch, rank=3, world=4, local_rank=1)
    assert init_ranks('pytorch') == (3, 4, 'cuda:1')
    # bound first (NCCL picks the current device), then the group: not GPU 0 on every rank
    assert calls == [('set_device', 'cuda:1'), ('init', 'nccl')]


def test_explicit_device_and_amp(monkeypatch, calls):
    from mmopen.utils.sharded_writer import init_ranks
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    _torchrun_env(monkeypatch, rank=0, world=2, local_rank=0)
    assert init_ranks('pytorch', device='cuda', amp=True) == (0, 2, 'cuda:0')
    assert calls == [('set_device', 'cuda:0'), ('init', 'nccl')]


def test_cpu_ranks_use_gloo_and_bind_nothing(monkeypatch, calls):
    from mmopen.utils.sharded_writer import init_ranks
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    _torchrun_env(monkeypatch, rank=1, world=2, local_rank=1)
    assert init_ranks('pytorch') == (1, 2, 'cpu')
    assert calls == [('init', 'gloo')]
    assert init_ranks('none') == (0, 1, 'cpu') and calls == [('init', 'gloo')]
    with pytest.raises(SystemExit, match='--amp needs CUDA'):
        init_ranks('none', amp=True)
