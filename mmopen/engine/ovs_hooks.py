"""Hooks for open-vocabulary segmentation: the evaluation vocabulary and Proxy Calibration."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


def _ovs_heads(model):
    model = model.module if is_model_wrapper(model) else model
    return [m for m in model.modules() if hasattr(m, 'set_test_vocabulary')]


def _dataset_vocabulary(dataloader) -> Optional[list]:
    dataset = getattr(dataloader, 'dataset', None)
    meta = getattr(dataset, 'metainfo', None) or {}
    vocab = meta.get('vocabulary') or meta.get('classes')
    return [list(v) if isinstance(v, (list, tuple)) else v for v in vocab] if vocab else None


@HOOKS.register_module()
class OpenVocabularyHook(Hook):
    """Before validation and testing, hand the dataset's classes (its ``vocabulary`` metainfo
    with synonyms, else ``classes``) to every open-vocabulary head, so evaluating on another
    dataset or vocabulary file needs no code. Heads whose config fixes ``test_vocabulary``
    keep it."""
    priority = 'NORMAL'

    def _apply(self, runner, loader):
        vocab = _dataset_vocabulary(loader)
        if vocab is None:
            return
        for head in _ovs_heads(runner.model):
            head.set_test_vocabulary(vocab)
        runner.logger.info(f'Open-vocabulary evaluation over {len(vocab)} classes.')

    def before_val(self, runner) -> None:
        self._apply(runner, runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._apply(runner, runner.test_dataloader)


@HOOKS.register_module()
class ProxyCalibrationHook(Hook):
    """Schedule OVSNet's Proxy Calibration loss: off before ``start_iter``, its weight ramped
    linearly to ``weight`` over ``warmup_iters`` after that, Beta parameter ``gamma``; logs
    the weight, gamma, the number of matched queries mixed and the mean mixing coefficient."""
    priority = 'NORMAL'

    def __init__(self, weight: float = 1.0, gamma: float = 2.0, start_iter: int = 0,
                 warmup_iters: int = 0):
        self.weight = weight
        self.gamma = gamma
        self.start_iter = start_iter
        self.warmup_iters = warmup_iters

    def weight_at(self, it: int) -> float:
        if it < self.start_iter:
            return 0.0
        if self.warmup_iters <= 0:
            return self.weight
        return self.weight * min(1.0, (it - self.start_iter + 1) / self.warmup_iters)

    def _losses(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return [m.loss_proxy for m in model.modules()
                if getattr(m, 'loss_proxy', None) is not None]

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        w = self.weight_at(runner.iter)
        for loss in self._losses(runner):
            loss.loss_weight = w
            loss.gamma = self.gamma

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        for loss in self._losses(runner):
            stats = getattr(loss, 'last_stats', {}) or {}
            runner.message_hub.update_scalar('train/pc_weight', loss.loss_weight)
            runner.message_hub.update_scalar('train/pc_gamma', loss.gamma)
            if stats:
                runner.message_hub.update_scalar('train/pc_pairs', stats.get('pairs', 0))
                runner.message_hub.update_scalar('train/pc_alpha', stats.get('alpha_mean', 0))
            break
