"""The compiled mmcv wheel is kept under a key that says what its operators hold: a wheel
built on a CPU host (no CUDA kernels for multi-scale deformable attention) is never found by a
GPU host's set-up, nor one built for another architecture. The key used to hold only the pins
and the Python version."""
import torch

from tests.tool_runner import load_tool

_key = load_tool('tools/misc/mmcv_wheel_key.py')
flavour, wheel_key = _key.flavour, _key.wheel_key


def test_the_key_names_the_cuda_kernels_the_wheel_holds(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    assert flavour({}) == 'cpu'
    assert flavour({'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '9.0'}) == 'cu130-sm90'
    assert flavour({'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '8.0;9.0+PTX'}) == \
        'cu130-sm80_90ptx'
    keys = {wheel_key(env) for env in ({}, {'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '9.0'},
                                       {'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '8.0'})}
    assert len(keys) == 3
    assert all(k.startswith(wheel_key({}).split('-')[0]) for k in keys)  # the pins' part


def test_a_gpu_host_without_an_arch_list_keys_the_gpus_it_sees(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda i: (9, 0))
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    assert flavour({}) == 'cu130-sm90'
