"""``CheckpointFitHook``: refuse a checkpoint whose keys do not fit the model, on the checkpoint
the runner has just read (``after_load_checkpoint`` runs before the weights go into the model),
so the file is read once. ``tools/test.py`` adds it for its checkpoint
(:func:`mmopen.utils.launch.check_checkpoint_fits`; ``--partial-load`` lets a mismatch pass,
logged)."""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmopen.utils.launch import check_checkpoint_fits


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Checks the checkpoint read from ``path`` against the runner's model when it is loaded."""

    priority = 'VERY_HIGH'

    def __init__(self, path: str, partial: bool = False):
        self.path, self.partial = path, partial

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        check_checkpoint_fits(runner.model, checkpoint, self.path, self.partial)
