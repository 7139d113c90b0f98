"""The name of the folder that keeps a compiled mmcv wheel (the Makefile's wheelhouse): the
torch and mmcv pins, the Python version, and what the wheel's operators are built for. mmcv
compiles its CUDA kernels when ``FORCE_CUDA=1`` or torch sees a GPU, for the architectures in
``TORCH_CUDA_ARCH_LIST`` (else those of the GPUs it sees), so a wheel built on a CPU host has
none and must not be reused on a GPU host, nor an sm_80 wheel on an sm_90 one.

    python tools/misc/mmcv_wheel_key.py     -> e.g. 1234567890-py311-cpu
                                               or   1234567890-py312-cu130-sm90
"""
import os
import os.path as osp
import sys
import zlib

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def pins() -> str:
    text = ''
    for name in ('torch.txt', 'mmcv.txt'):
        with open(osp.join(REPO, 'requirements', name)) as f:
            text += ''.join(ln for ln in f if not ln.startswith('#'))
    return text


def flavour(env=None) -> str:
    """``cpu``, or ``cu<version>-sm<arch>[_<arch>...]`` for a build with CUDA kernels."""
    import torch
    env = os.environ if env is None else env
    cuda = env.get('FORCE_CUDA', '0') == '1' or (
        torch.version.cuda is not None and torch.cuda.is_available())
    if not cuda:
        return 'cpu'
    archs = env.get('TORCH_CUDA_ARCH_LIST', '').replace(';', ' ').split()
    if not archs:  # torch's build compiles for the GPUs it sees
        archs = sorted({'%d.%d' % torch.cuda.get_device_capability(i)
                        for i in range(torch.cuda.device_count())})
    tag = '_'.join(a.replace('.', '').replace('+PTX', 'ptx') for a in archs) or 'none'
    return f'cu{(torch.version.cuda or "").replace(".", "")}-sm{tag}'


def wheel_key(env=None) -> str:
    return (f'{zlib.crc32(pins().encode()):010d}-py{sys.version_info[0]}{sys.version_info[1]}-'
            f'{flavour(env)}')


if __name__ == '__main__':
    print(wheel_key())
