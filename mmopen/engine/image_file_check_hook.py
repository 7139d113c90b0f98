"""``ImageFileCheckHook``: before a loop reads its first batch, check every image (and
annotation) file of its data set with :func:`mmopen.datasets.image_files.check_image_files`, so a
broken file is named with all the others at the start, not found hours in by a decoder that names
no file. ``tools/train.py`` and ``tools/test.py`` add it (``--no-file-check`` leaves it out)."""
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmopen.datasets.image_files import MIN_SIDE, check_image_files, dataset_samples


@HOOKS.register_module()
class ImageFileCheckHook(Hook):
    """Checks the files of the training, validation and test sets before their loops start;
    in a distributed run each process checks its share and every process sees all problems."""

    priority = 'VERY_HIGH'

    def __init__(self, min_side: int = MIN_SIDE, threads: int = 16):
        self.min_side, self.threads = min_side, threads
        self._checked = set()

    def _check(self, runner, loader, what: str) -> None:
        dataset = getattr(loader, 'dataset', None)
        if dataset is None or id(dataset) in self._checked:
            return
        rank, world = get_dist_info()
        samples = dataset_samples(dataset)[rank::world]
        try:
            check_image_files(samples, what, self.min_side, self.threads)
            problem = ''
        except ValueError as e:
            problem = str(e)
        problems = all_gather_object(problem) if world > 1 else [problem]
        problems = [p for p in problems if p]
        if problems:
            raise ValueError('\n'.join(problems))
        self._checked.add(id(dataset))
        runner.logger.info(f'{what}: the files of {len(samples)} samples look sound')

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'the training set')
        if runner.val_loop is not None:  # validation comes hours later: check it now too
            self._check(runner, runner.val_loop.dataloader, 'the validation set')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader, 'the validation set')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'the test set')
