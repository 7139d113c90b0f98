"""``MMOpenRunner``: MMEngine's ``Runner`` for the pinned stack on current PyTorch, as a subclass
(``runner_type = 'MMOpenRunner'``, set by mmopen's ``_base_`` runtimes and used by
``tools/train.py`` / ``tools/test.py``), so that nothing of MMEngine is replaced in the process:
a script that builds MMEngine's own ``Runner`` next to it gets MMEngine unchanged.

What it changes, and why:

* **Checkpoints** (``resume``, ``load_from``): MMEngine 0.10.7 reads them with
  ``torch.load(filename, map_location)``; since PyTorch 2.6 that means ``weights_only=True`` and
  every checkpoint a Runner wrote fails ("Weights only load failed ...
  numpy._core.multiarray.scalar"). :meth:`load_checkpoint` reads local files with
  :func:`mmopen.compat.safe_torch_load` (``weights_only=True`` with an allow-list of exactly the
  objects MMEngine writes; anything else refused, naming how to trust one file) and hands other
  schemes (``http://``, ``s3://``, ...) to MMEngine.
* **``--launcher pytorch`` without CUDA**: MMEngine's ``_init_dist_pytorch`` calls
  ``torch.cuda.set_device`` unconditionally ("Found no NVIDIA driver"), and its DDP wrapper is
  given ``device_ids=[LOCAL_RANK]``, which PyTorch rejects for a CPU module. Without CUDA,
  :meth:`setup_env` starts the process group itself (``gloo``: ``nccl`` needs GPUs) and
  :meth:`wrap_model` wraps a CPU model with ``device_ids=None``.
* **A model with nothing to train** (a zero-shot CLIP under ``tools/dist_test.sh``) is not
  wrapped in DDP on any machine: PyTorch refuses such modules and evaluation needs no gradient
  synchronisation.

With CUDA and a trainable model, set-up and wrapping are MMEngine's own.
"""
import datetime
import logging
from typing import Callable, Dict, Optional, Union

import torch
from mmengine.device import get_device
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS, RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmopen.compat.checkpoint import load_checkpoint_file


def _cpu_only() -> bool:
    return not torch.cuda.is_available()


def cpu_dist_cfg(dist_cfg: Optional[dict]) -> dict:
    """``env_cfg.dist_cfg`` for ``init_process_group`` on a machine without CUDA: ``nccl``
    becomes ``gloo``, a timeout in seconds a ``timedelta`` (as MMEngine's ``init_dist``
    converts it), ``init_backend`` dropped (only ``'torch'`` gets here)."""
    kwargs = dict(dist_cfg or {})
    kwargs.pop('init_backend', None)
    if kwargs.get('backend', 'nccl') == 'nccl':
        kwargs['backend'] = 'gloo'
    if kwargs.get('timeout') is not None and not isinstance(kwargs['timeout'],
                                                             datetime.timedelta):
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    return kwargs


@RUNNERS.register_module()
class MMOpenRunner(Runner):
    """MMEngine's ``Runner`` with safe checkpoint loading and CPU distributed runs (module
    docstring). Build it from a config with ``runner_type='MMOpenRunner'`` or
    ``MMOpenRunner.from_cfg(cfg)``."""

    def setup_env(self, env_cfg: Dict) -> None:
        dist_cfg = dict(env_cfg.get('dist_cfg') or {})
        if (self.distributed and self.launcher == 'pytorch' and _cpu_only()
                and dist_cfg.get('init_backend', 'torch') == 'torch' and not is_distributed()):
            kwargs = cpu_dist_cfg(dist_cfg)
            if dist_cfg.get('backend', 'nccl') == 'nccl':
                print_log('No CUDA device: using the gloo backend for distributed training '
                          'instead of nccl.', logger='current', level=logging.INFO)
            # MMEngine's init_dist would pick 'spawn' where nothing chose a start method yet;
            # its set-up below (mp_cfg) chooses one first, so this order changes nothing.
            torch.distributed.init_process_group(**kwargs)
        super().setup_env(env_cfg)  # sees the process group started: MMEngine's init skipped

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        if self.distributed and not is_model_wrapper(model):
            if not any(p.requires_grad for p in model.parameters()):
                print_log('The model has no trainable parameter: not wrapping it in DDP.',
                          logger='current', level=logging.INFO)
                return model.to(get_device())
            if _cpu_only():
                return self._wrap_cpu_ddp(model_wrapper_cfg, model.to(get_device()))
        return super().wrap_model(model_wrapper_cfg, model)

    def _wrap_cpu_ddp(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        """MMEngine's DDP wrapping with ``device_ids=None`` (a CPU module)."""
        sync_bn = self.cfg.get('sync_bn', None)
        if sync_bn is not None:
            from mmengine.model import convert_sync_batchnorm
            model = convert_sync_batchnorm(model, sync_bn)
        if model_wrapper_cfg is None:
            return MMDistributedDataParallel(
                module=model, device_ids=None, broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False))
        cfg = dict(model_wrapper_cfg)
        cfg.setdefault('type', 'MMDistributedDataParallel')
        cfg.pop('device_ids', None)
        cfg.pop('output_device', None)
        wrapper = MODEL_WRAPPERS.get(cfg['type'])
        default_args = dict(module=model)
        if issubclass(wrapper, torch.nn.parallel.DistributedDataParallel):
            default_args['device_ids'] = None
        return MODEL_WRAPPERS.build(cfg, default_args=default_args)

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False, revise_keys: list = [(r'^module.', '')]):
        """MMEngine's ``Runner.load_checkpoint`` with the file read by
        :func:`mmopen.compat.load_checkpoint_file` (safe for local files)."""
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


__all__ = ['MMOpenRunner', 'cpu_dist_cfg']
