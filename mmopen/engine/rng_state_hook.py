"""``RNGStateHook``: checkpoints carry PyTorch's random generator states, and a resumed run
continues from them, so that it draws what the uninterrupted run draws.

MMEngine's resume restores the weights, the optimiser, the schedulers and the loop's position,
re-seeds every generator with the config's seed and replays the data loader up to the resumed
iteration; what the model itself draws during training (OVSNet's point sampling for the mask
losses, Proxy Calibration's Beta draws, dropout) comes from PyTorch's generators, which then
start again from the seed instead of where the interrupted run left them: the resumed run's
weights drift from the uninterrupted run's.

This hook stores the generator states of PyTorch (CPU and each CUDA device), NumPy and
Python's ``random`` in every checkpoint and sets them back when a run resumes (``resume=True``;
loading weights with ``load_from`` leaves the generators alone). With an iteration-based loop
MMEngine replays the data loader up to the resumed iteration from the re-seeded generators,
which consumes what the uninterrupted run's data pipeline consumed: there only PyTorch's states
are restored (the model's draws); with an epoch-based loop, whose next epoch starts a new pass
over the data, every state is restored. Registered in MMEngine's root ``HOOKS``, so every scope
finds it; the configs' schedules list it in ``default_hooks`` (``rng_state``).
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

KEY = 'mmopen_rng_state'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves ``torch``'s random generator states with each checkpoint; restores them on
    resume (see the module docstring)."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(cpu=torch.get_rng_state(), numpy=np.random.get_state(),
                     python=random.getstate())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(KEY)
        if not state or not getattr(runner, '_resume', False):
            return
        torch.set_rng_state(state['cpu'])
        from mmengine.runner import IterBasedTrainLoop
        replays = isinstance(getattr(runner, '_train_loop', None), IterBasedTrainLoop)
        if not replays and 'numpy' in state:
            np.random.set_state(state['numpy'])
            random.setstate(state['python'])
        cuda = state.get('cuda')
        if cuda and torch.cuda.is_available():
            if len(cuda) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(cuda)
            else:
                runner.logger.warning(
                    f'The checkpoint holds the random states of {len(cuda)} CUDA devices, this '
                    f'run has {torch.cuda.device_count()}: only the CPU generator is restored, '
                    'so the resumed run does not draw exactly what an uninterrupted run would.')
