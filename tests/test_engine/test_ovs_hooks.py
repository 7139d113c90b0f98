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
    text = model.decode_head.text
    assert text.test_vocabulary.to_list() == [['sofa', 'couch'], ['cat']]
    assert text.test_bank.shape[0] == 2
    # before training: the training set's classes must be the head's vocabulary
    good = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(
        vocabulary=tuple((v, ) for v in VOCAB))))
    OpenVocabularyHook().before_train(_runner(model, train_dataloader=good))
    bad = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(classes=('wall', 'grass'))))
    with pytest.raises(ValueError, match='training dataset.*differ'):
        OpenVocabularyHook().before_train(_runner(model, train_dataloader=bad))


def test_a_vocabulary_is_parsed_once_per_model(tiny_clip_files, tmp_path, monkeypatch):
    """From the config to the text banks: the head parses its training vocabulary file once;
    the hook, the test bank, the seen mask and inference reuse parsed values. A component that
    re-read the file or re-split class strings (as 6-7 places once did) adds parses here."""
    import torch

    from mmopen.clip import vocabularies
    from tests.test_models.test_decode_heads.test_ovsnet_head import VOCAB, build, samples
    path = tmp_path / 'train.txt'
    path.write_text('\n'.join(VOCAB) + '\n')
    parsed = []
    real = vocabularies.parse_class
    monkeypatch.setattr(vocabularies, 'parse_class', lambda e: parsed.append(e) or real(e))
    model = build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')])
    parsed.clear()  # build() gives a list; now the same model from a file
    model = build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')], vocabulary=str(path))
    assert parsed == VOCAB  # one parse of each class line
    meta = dict(vocabulary=tuple((v, ) for v in VOCAB) + (('sofa', 'couch'), ))  # as parsed
    hook, loader = OpenVocabularyHook(), SimpleNamespace(dataset=SimpleNamespace(metainfo=meta))
    hook.before_train(_runner(model, train_dataloader=SimpleNamespace(dataset=SimpleNamespace(
        metainfo=dict(vocabulary=tuple((v, ) for v in VOCAB))))))
    hook.before_val(_runner(model, val_dataloader=loader))
    model.eval()
    with torch.no_grad():
        model.predict(torch.randn(1, 3, 64, 64), samples(1))
    text = model.decode_head.text
    assert text.seen().tolist() == [True] * 5 + [False] and len(text.test_vocabulary) == 6
    assert parsed == VOCAB  # nothing parsed again


def test_vocabulary_hook_turns_ignore_aware_mask_losses_on_for_held_out_classes(tiny_clip_files):
    """``ignore_aware_mask_loss=None``: on when the training set labels annotated classes
    ignore (the log names them), off when it holds none out; a value from the config is kept
    and the log says where it came from."""
    from tests.test_models.test_decode_heads.test_ovsnet_head import VOCAB, build
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    meta = dict(vocabulary=tuple((v, ) for v in VOCAB))
    for held_out, want in ((['kite', 'tire'], True), ([], False)):
        model = build(weights, ignore_aware_mask_loss=None)
        loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=meta,
                                                         held_out_classes=held_out))
        runner = _runner(model, train_dataloader=loader)
        OpenVocabularyHook().before_train(runner)
        assert model.decode_head.ignore_aware_mask_loss is want
        said = [line for line in runner.logger.lines if 'mask losses' in line]
        assert len(said) == 1 and (('kite, tire' in said[0]) == want), said
    model = build(weights, ignore_aware_mask_loss=False)
    loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=meta, held_out_classes=['kite']))
    runner = _runner(model, train_dataloader=loader)
    OpenVocabularyHook().before_train(runner)
    assert model.decode_head.ignore_aware_mask_loss is False
    assert any('set in the config' in line for line in runner.logger.lines)


def test_vocabulary_hook_logs_the_ensembles_seen_and_unseen_classes(tiny_clip_files):
    from tests.test_models.test_decode_heads.test_ovsnet_head import build
    model = build(tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')],
                  ensemble=dict(alpha=0.3, beta=0.7))
    loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(
        vocabulary=(('wall', ), ('sky', ), ('ball', 'balls'), ('kite', )))))
    runner = _runner(model, val_dataloader=loader)
    OpenVocabularyHook().before_val(runner)
    line = [x for x in runner.logger.lines if 'ensemble' in x]
    assert line == ['FC-CLIP ensemble: 2 seen classes (CLIP weight alpha=0.3): wall, ball; '
                    '2 unseen (beta=0.7): sky, kite.']
