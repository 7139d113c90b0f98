"""Checkpoint loading under weights_only=True: MMEngine's own checkpoints load, code-carrying
pickles are refused before any of their code runs, and trusted files can opt in."""
import os
import os.path as osp
import pickle

import pytest
import torch
from torch import nn

import mmopen  # noqa: F401
from mmopen.compat import UnsafeCheckpointError
from mmopen.compat import checkpoint as ckpt_mod
from mmopen.compat import load_checkpoint_file, load_weights, safe_torch_load, trust_checkpoint


class _Payload:
    """Unpickling this object runs ``exec`` (writes a marker file)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f'open({self.marker!r}, "w").write("code ran")', ))


@pytest.fixture
def evil_checkpoint(tmp_path):
    marker = str(tmp_path / 'code_ran')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(2)}, 'meta': _Payload(marker)}, path)
    assert not osp.exists(marker)
    return path, marker


@pytest.fixture(autouse=True)
def _no_trust_leak():
    yield
    ckpt_mod._trusted_paths.clear()


def test_code_carrying_checkpoint_is_refused_and_never_runs(evil_checkpoint, monkeypatch):
    monkeypatch.delenv(ckpt_mod.TRUST_ENV, raising=False)
    path, marker = evil_checkpoint
    # the reader mmopen's runner (resume, load_from), inferencers and tools use
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path, map_location='cpu')
    msg = str(info.value)
    assert '`exec`' in msg and path in msg
    assert ckpt_mod.TRUST_ENV in msg and '--trust-checkpoint' in msg
    assert 'run any code' in msg
    with pytest.raises(UnsafeCheckpointError):
        load_weights(nn.Linear(2, 2), path, map_location='cpu')
    assert not osp.exists(marker), 'the checkpoint code ran'
    assert isinstance(info.value, pickle.UnpicklingError)


def test_trusted_checkpoint_opt_in(evil_checkpoint, monkeypatch):
    path, marker = evil_checkpoint
    monkeypatch.setenv(ckpt_mod.TRUST_ENV, path)
    ckpt = safe_torch_load(path)
    assert 'state_dict' in ckpt and osp.exists(marker)  # the user opted in for this file
    os.remove(marker)
    monkeypatch.delenv(ckpt_mod.TRUST_ENV)
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(path)
    trust_checkpoint(path)
    safe_torch_load(path)
    assert osp.exists(marker)


class _GetattrPayload:
    """``getattr(HistoryBuffer, '__init__')``: the first step of an attribute-chain attack."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    from mmengine.logging import HistoryBuffer
    ok = str(tmp_path / 'ok.pth')
    torch.save({'stats': {'min': HistoryBuffer.min, 'mean': HistoryBuffer.mean}}, ok)
    assert safe_torch_load(ok)['stats']['min'] is HistoryBuffer.min
    bad = str(tmp_path / 'bad.pth')
    torch.save({'x': _GetattrPayload()}, bad)
    with pytest.raises(UnsafeCheckpointError, match='HistoryBuffer.__init__'):
        safe_torch_load(bad)


def test_corrupt_checkpoint_is_reported_as_such(tmp_path):
    path = str(tmp_path / 'notes.pth')
    with open(path, 'w') as f:
        f.write('not a checkpoint')
    with pytest.raises(RuntimeError, match='truncated, corrupt or not a PyTorch') as info:
        safe_torch_load(path)
    assert not isinstance(info.value, UnsafeCheckpointError) and path in str(info.value)


def test_file_objects_are_never_trusted(evil_checkpoint):
    path, marker = evil_checkpoint
    trust_checkpoint(path)
    with open(path, 'rb') as f, pytest.raises(UnsafeCheckpointError):
        safe_torch_load(f)
    assert not osp.exists(marker)


class _ToyModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


class _ToyDataset(torch.utils.data.Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __len__(self):
        return 16

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(4, generator=g), labels=torch.tensor(i % 2))


def _toy_runner(work_dir, max_iters, resume=False):
    from mmengine.model import BaseModel

    from mmopen.engine import MMOpenRunner

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.net = _ToyModel()

        def forward(self, inputs, labels=None, mode='tensor'):
            return self.net(inputs, labels, mode)

    return MMOpenRunner(
        model=Toy(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=_ToyDataset(), sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4, num_workers=0, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[2], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmengine',
        experiment_name=f'toy_{max_iters}_{int(resume)}')


def test_real_mmengine_checkpoint_loads_and_resumes(tmp_path):
    work_dir = str(tmp_path / 'toy')
    _toy_runner(work_dir, max_iters=4).train()
    path = osp.join(work_dir, 'iter_4.pth')
    # The premise: plain torch.load (weights_only=True by default since torch 2.6) refuses it.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu')
    ckpt = safe_torch_load(path)
    assert {'meta', 'state_dict', 'optimizer', 'message_hub', 'param_schedulers'} <= set(ckpt)
    from mmengine.logging import HistoryBuffer
    scalars = ckpt['message_hub']['log_scalars']
    assert scalars and all(isinstance(v, HistoryBuffer) for v in scalars.values())
    assert ckpt['meta']['iter'] == 4
    assert ckpt['optimizer']['state'], 'SGD momentum buffers missing'

    runner = _toy_runner(work_dir, max_iters=6, resume=True)
    runner.train()
    assert runner.iter == 6
    assert osp.isfile(osp.join(work_dir, 'iter_6.pth'))


def test_load_weights_reads_a_runner_checkpoint_into_a_model(tmp_path):
    """The tools' and inferencers' reader: a Runner's checkpoint (numpy meta, HistoryBuffers)
    into a model, ``module.`` prefixes of a DDP run stripped; a missing file named."""
    work_dir = str(tmp_path / 'toy')
    _toy_runner(work_dir, max_iters=2).train()
    path = osp.join(work_dir, 'iter_2.pth')
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    ddp = str(tmp_path / 'ddp.pth')
    torch.save({'state_dict': {f'module.{k}': v for k, v in ckpt['state_dict'].items()}}, ddp)
    for source in (path, ddp):
        model = _ToyModel()
        load_weights(nn.ModuleDict(dict(net=model)), source, strict=True)
        assert torch.equal(model.linear.weight, ckpt['state_dict']['net.linear.weight'])
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_checkpoint_file(str(tmp_path / 'nowhere.pth'))


def test_mmengines_own_loader_is_left_as_it_is():
    """``import mmopen`` replaces no MMEngine loader: the plain path scheme is MMEngine's
    ``load_from_local`` (which refuses a Runner's checkpoint on this PyTorch: that is why
    mmopen's runner reads them itself)."""
    from mmengine.runner import checkpoint as mm_ckpt
    assert mm_ckpt.CheckpointLoader._schemes[''] is mm_ckpt.load_from_local
