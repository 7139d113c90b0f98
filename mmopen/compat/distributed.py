"""``--launcher pytorch`` on machines without CUDA.

MMEngine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device(local_rank)``
unconditionally, so a distributed launch dies on a CPU machine ("Found no NVIDIA driver") even
with ``backend='gloo'``, and its Runner wraps the model in DDP with ``device_ids=[LOCAL_RANK]``,
which PyTorch rejects for a CPU module. Without CUDA, mmopen therefore

* initialises the process group with the ``gloo`` backend (``nccl`` needs GPUs) and does not
  select a CUDA device;
* builds ``MMDistributedDataParallel`` with ``device_ids=None`` for modules that live on CPU.

On machines with CUDA nothing else changes. On every machine, a distributed Runner leaves a
model without any trainable parameter (a zero-shot CLIP evaluated with ``tools/dist_test.sh``)
unwrapped: PyTorch's DDP refuses such modules ("DistributedDataParallel is not needed when a
module doesn't have any parameter that requires a gradient"), and evaluation needs no gradient
synchronisation.
"""
import logging

import torch

_PATCHED = False


def _cuda_free_machine() -> bool:
    return not torch.cuda.is_available()


def install_cpu_distributed_support() -> None:
    global _PATCHED
    if _PATCHED:
        return
    import mmengine.dist.utils as dist_utils
    from mmengine.logging import print_log
    from mmengine.model.wrappers import MMDistributedDataParallel

    orig_init_pytorch = dist_utils._init_dist_pytorch

    def _init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs) -> None:
        if not _cuda_free_machine() or init_backend != 'torch':
            return orig_init_pytorch(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            print_log('No CUDA device: using the gloo backend for distributed training '
                      'instead of nccl.', logger='current', level=logging.INFO)
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch

    orig_ddp_init = MMDistributedDataParallel.__init__

    def ddp_init(self, module, detect_anomalous_params=False, **kwargs):
        params = list(module.parameters())
        on_cpu = not params or all(p.device.type == 'cpu' for p in params)
        if on_cpu and kwargs.get('device_ids') is not None:
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        orig_ddp_init(self, module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init

    from mmengine.device import get_device
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner
    orig_wrap = Runner.wrap_model

    def wrap_model(self, model_wrapper_cfg, model):
        if (self.distributed and not is_model_wrapper(model)
                and not any(p.requires_grad for p in model.parameters())):
            print_log('The model has no trainable parameter: not wrapping it in DDP.',
                      logger='current', level=logging.INFO)
            return model.to(get_device())
        return orig_wrap(self, model_wrapper_cfg, model)

    Runner.wrap_model = wrap_model
    _PATCHED = True
