"""An OVSNet quickstart config pointed at a test world (its segmentation data and tiny CLIP),
shared by the OVSNet tool tests."""
import os.path as osp
import textwrap

from tests.conftest import TEST_SEED


def ovsnet_config(folder, base, seg, weights, iters, checkpoint_every=None):
    """Write ``folder/<base's name>``: ``base`` trained ``iters`` iterations on ``seg``'s seen
    classes (the others held out), evaluated on all of them, with the tiny ConvNeXt CLIP
    ``weights``; a checkpoint every ``checkpoint_every`` iterations (default: at the end)."""
    cfg = folder / f'{osp.basename(base)}'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = {base!r}
        _seg = {seg!r}
        clip = dict(model_name='mmopen-tiny-convnext', weights={weights!r})
        model = dict(backbone=clip, decode_head=dict(text_encoder=clip,
                                                     vocabulary=_seg + '/classes_seen.txt'))
        train_dataloader = dict(dataset=dict(data_root=_seg,
                                             vocabulary=_seg + '/classes_seen.txt',
                                             annotation_vocabulary=_seg + '/classes.txt'))
        val_dataloader = dict(dataset=dict(data_root=_seg, vocabulary=_seg + '/classes.txt'))
        test_dataloader = val_dataloader
        val_evaluator = dict(seen_classes=_seg + '/classes_seen.txt')
        test_evaluator = val_evaluator
        train_cfg = dict(max_iters={iters}, val_interval={iters})
        param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=0,
                                end={iters}, by_epoch=False)]
        default_hooks = dict(checkpoint=dict(interval={checkpoint_every or iters}))
        randomness = dict(seed={TEST_SEED})
    '''))
    return str(cfg)
