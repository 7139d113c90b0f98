"""Hooks for open-vocabulary segmentation: the vocabularies and Proxy Calibration."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from mmopen.clip.text_classifier import text_classifiers
from mmopen.clip.vocabularies import Vocabulary, metainfo_vocabulary


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def dataset_vocabulary(dataset) -> Optional[Vocabulary]:
    """The dataset's classes with their synonyms (``vocabulary`` metainfo, a ``Vocabulary``
    for ``VocabSegDataset``, else ``classes``), or ``None`` when it declares none."""
    return metainfo_vocabulary(getattr(dataset, 'metainfo', None),
                               f'the classes of {type(dataset).__name__}')


def ensemble_split(head) -> str:
    """One line naming the seen / unseen split FC-CLIP's ensemble applies to the evaluation
    vocabulary: ``alpha`` weighs the CLIP classifier on classes of the training vocabulary,
    ``beta`` on the others."""
    text = head.text
    names = [names[0] for names in text.test_vocabulary]
    seen = [bool(x) for x in text.test_vocabulary.seen(text.train_vocabulary)]

    def show(xs):
        return ', '.join(xs[:12]) + (f', ... ({len(xs)})' if len(xs) > 12 else '') or 'none'

    return (f'FC-CLIP ensemble: {sum(seen)} seen classes (CLIP weight alpha='
            f'{head.ensemble["alpha"]}): {show([n for n, s in zip(names, seen) if s])}; '
            f'{len(seen) - sum(seen)} unseen (beta={head.ensemble["beta"]}): '
            f'{show([n for n, s in zip(names, seen) if not s])}.')


@HOOKS.register_module()
class OpenVocabularyHook(Hook):
    """Keep an open-vocabulary head's vocabularies and the datasets' classes in step.

    * Before training: the head's training vocabulary (``decode_head.vocabulary``) must be the
      training dataset's classes, in the same order (the labels index it). A mismatch stops the
      run with both lists named, instead of training against the wrong text embeddings.
    * Before training, the mask losses of a head left to decide
      (``OVSNetHead(ignore_aware_mask_loss=None)``): ignore-aware when the training dataset
      labels annotated classes ignore (``held_out_classes``: the unseen classes of the
      zero-shot protocol), Mask2Former's otherwise. The log says which, and why.
    * Before validation and testing: the dataset's classes become the head's evaluation
      vocabulary (``set_test_vocabulary``), so evaluating on another dataset or vocabulary file
      needs no code. A head whose config fixes ``test_vocabulary`` keeps it. With FC-CLIP's
      ensemble on, the log names the classes it treats as seen and as unseen.
    """
    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        dataset = getattr(runner.train_dataloader, 'dataset', None)
        self._mask_losses(runner, dataset)
        vocab = dataset_vocabulary(dataset)
        if vocab is None:
            return
        for text in text_classifiers(runner.model):
            text.check_train_vocabulary(vocab)

    @staticmethod
    def _mask_losses(runner, dataset) -> None:
        held_out = list(getattr(dataset, 'held_out_classes', None) or [])
        for head in _unwrap(runner.model).modules():
            if not hasattr(head, 'ignore_aware_mask_loss'):
                continue
            if head.ignore_aware_mask_loss is None:
                head.ignore_aware_mask_loss = bool(held_out)
                if held_out:
                    head.check_ignore_aware_losses()
                why = (f'the training set labels {len(held_out)} annotated classes ignore '
                       f'({", ".join(held_out[:8])}{", ..." if len(held_out) > 8 else ""})'
                       if held_out else 'the training set holds out no annotated class')
            else:
                why = 'set in the config'
            runner.logger.info(
                f'{type(head).__name__} mask losses: '
                + ('ignore-aware (ignored pixels skipped)' if head.ignore_aware_mask_loss
                   else "Mask2Former's (ignored pixels count as background)") + f': {why}.')

    def _apply(self, runner, loader):
        vocab = dataset_vocabulary(getattr(loader, 'dataset', None))
        if vocab is not None:
            for text in text_classifiers(runner.model):
                text.set_test_vocabulary(vocab)
            runner.logger.info(f'Open-vocabulary evaluation over {len(vocab)} classes.')
        for head in _unwrap(runner.model).modules():
            if getattr(head, 'ensemble', None) and hasattr(head, 'text'):
                runner.logger.info(ensemble_split(head))

    def before_val(self, runner) -> None:
        self._apply(runner, runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._apply(runner, runner.test_dataloader)


@HOOKS.register_module()
class ProxyCalibrationHook(Hook):
    """Schedule OVSNet's Proxy Calibration loss and log it.

    The loss is off before ``start_iter`` and its weight ramps linearly to the full weight over
    ``warmup_iters`` after that. The full weight and the Beta parameter are the config's
    (``decode_head.loss_proxy.loss_weight`` / ``gamma``) unless this hook is given ``weight`` /
    ``gamma``; then the hook's values win and the run log says so. Logged per iteration: the
    weight, gamma, the number of matched queries mixed and the mean mixing coefficient.
    """
    priority = 'NORMAL'

    def __init__(self, weight: Optional[float] = None, gamma: Optional[float] = None,
                 start_iter: int = 0, warmup_iters: int = 0):
        self.weight = weight
        self.gamma = gamma
        self.start_iter = start_iter
        self.warmup_iters = warmup_iters
        self._base: dict = {}

    def ramp(self, it: int) -> float:
        """The fraction of the full weight at iteration ``it``."""
        if it < self.start_iter:
            return 0.0
        if self.warmup_iters <= 0:
            return 1.0
        return min(1.0, (it - self.start_iter + 1) / self.warmup_iters)

    def _losses(self, runner) -> list:
        return [m.loss_proxy for m in _unwrap(runner.model).modules()
                if getattr(m, 'loss_proxy', None) is not None]

    def _full(self, loss, logger=None):
        """The full ``(weight, gamma)`` of ``loss``, fixed the first time it is asked (before
        any scheduling changed the loss's own values)."""
        if id(loss) not in self._base:
            weight = loss.loss_weight if self.weight is None else self.weight
            gamma = loss.gamma if self.gamma is None else self.gamma
            if logger is not None and (weight, gamma) != (loss.loss_weight, loss.gamma):
                logger.info(
                    f'ProxyCalibrationHook sets the Proxy Calibration weight to {weight} and '
                    f'gamma to {gamma} (the config\'s loss_proxy has loss_weight='
                    f'{loss.loss_weight}, gamma={loss.gamma}).')
            self._base[id(loss)] = (weight, gamma)
        return self._base[id(loss)]

    def before_train(self, runner) -> None:
        for loss in self._losses(runner):
            self._full(loss, runner.logger)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        scale = self.ramp(runner.iter)
        for loss in self._losses(runner):
            weight, gamma = self._full(loss, runner.logger)
            loss.loss_weight = weight * scale
            loss.gamma = gamma

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        """Logs the schedule's weight and gamma (the loss's statistics, ``pc_pairs`` and
        ``pc_alpha``, come with the head's losses and are logged with them)."""
        for loss in self._losses(runner):
            runner.message_hub.update_scalar('train/pc_weight', loss.loss_weight)
            runner.message_hub.update_scalar('train/pc_gamma', loss.gamma)
            break
