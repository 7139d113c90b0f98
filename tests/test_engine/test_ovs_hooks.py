"""OpenVocabularyHook and ProxyCalibrationHook on a stand-in runner."""
from types import SimpleNamespace

import pytest
from torch import nn

import mmopen  # noqa: F401
from mmopen.engine import OpenVocabularyHook, ProxyCalibrationHook
from mmopen.models.losses import ProxyCalibrationLoss


class _Logger:
    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)


class _Hub:
    def __init__(self):
        self.scalars = {}

    def update_scalar(self, key, value):
        self.scalars[key] = value


class _Head(nn.Module):
    def __init__(self, loss):
        super().__init__()
        self.loss_proxy = loss


def _runner(model, it=0, **loaders):
    return SimpleNamespace(model=model, iter=it, logger=_Logger(), message_hub=_Hub(), **loaders)


def test_proxy_hook_keeps_the_configured_weight_and_ramps_it():
    loss = ProxyCalibrationLoss(loss_weight=0.3, gamma=2.0)
    runner = _runner(_Head(loss))
    hook = ProxyCalibrationHook(start_iter=2, warmup_iters=4)
    hook.before_train(runner)
    assert runner.logger.lines == []  # nothing overridden, nothing to say
    weights = []
    for it in range(8):
        runner.iter = it
        hook.before_train_iter(runner, it)
        weights.append(loss.loss_weight)
    assert weights == pytest.approx([0, 0, 0.075, 0.15, 0.225, 0.3, 0.3, 0.3])
    assert loss.gamma == 2.0


def test_proxy_hook_overrides_only_when_told_and_says_so():
    loss = ProxyCalibrationLoss(loss_weight=0.3, gamma=2.0)
    runner = _runner(_Head(loss))
    hook = ProxyCalibrationHook(weight=1.0, gamma=0.5)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert (loss.loss_weight, loss.gamma) == (1.0, 0.5)
    assert any('loss_weight=0.3' in line and 'to 1.0' in line for line in runner.logger.lines)
    hook.after_train_iter(runner, 0)
    assert runner.message_hub.scalars['train/pc_weight'] == 1.0


def test_vocabulary_hook_hands_the_dataset_classes_to_the_head(tiny_clip_files):
    from tests.test_models.test_decode_heads.test_ovsnet_head import VOCAB, build
    model = build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')])
    loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(
        classes=('a', 'b'), vocabulary=(('sofa', 'couch'), ('cat', )))))
    runner = _runner(model, val_dataloader=loader)
    OpenVocabularyHook().before_val(runner)
    assert model.decode_head.test_vocabulary == [['sofa', 'couch'], ['cat']]
    assert model.decode_head.test_text.shape[0] == 2
    # before training: the training set's classes must be the head's vocabulary
    good = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(
        vocabulary=tuple((v, ) for v in VOCAB))))
    OpenVocabularyHook().before_train(_runner(model, train_dataloader=good))
    bad = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(classes=('wall', 'grass'))))
    with pytest.raises(ValueError, match='training dataset.*differ'):
        OpenVocabularyHook().before_train(_runner(model, train_dataloader=bad))
