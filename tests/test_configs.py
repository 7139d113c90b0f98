"""Every config under configs/ parses and its model builds (tiny CLIP weights swapped in)."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))


def _swap_clip_weights(node, files, neg_file=None):
    """Point every CLIP weight path at a tiny file of the same architecture, negative-label
    files at a small test file, and vocabulary files that only exist after
    ``make quickstart-data`` at a shipped vocabulary."""
    if isinstance(node, dict):
        if isinstance(node.get('neg_labels'), str):
            node['neg_labels'] = neg_file
        if isinstance(node.get('mined_from'), str) and not osp.exists(node['mined_from']):
            node['mined_from'] = None  # a SynOOD manifest that generation writes
        bench = node.get('benchmark')
        if isinstance(bench, str) and bench.endswith('.json') and not osp.isfile(bench):
            node['benchmark'] = 'pacs'  # the quickstart's split file, written with its data
        vocab = node.get('vocabulary')
        if isinstance(vocab, str) and '/' in vocab and not osp.isfile(vocab):
            node['vocabulary'] = 'voc_20'

        if 'model_name' in node and 'weights' in node:
            key = (node['model_name'], 'safetensors')
            node['weights'] = files.get(key)
            if key not in files:  # a real-size architecture: build it tiny instead
                node['model_name'] = ('mmopen-tiny-vit' if 'ViT' in node['model_name'] else
                                      'mmopen-tiny-convnext')
                node['weights'] = files[(node['model_name'], 'safetensors')]
        for v in node.values():
            _swap_clip_weights(v, files, neg_file)
    elif isinstance(node, list):
        for v in node:
            _swap_clip_weights(v, files, neg_file)


def test_there_are_configs():
    assert any('quickstart' in c for c in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(c, REPO) for c in CONFIGS])
def test_config_builds(path, tiny_clip_files, tmp_path):
    import mmopen  # noqa: F401
    neg_file = tmp_path / 'neg.txt'
    neg_file.write_text(''.join(f'noun\tword{i}\n' for i in range(200)) + 'adj\tfurry\n')
    cfg = Config.fromfile(path)
    assert cfg.get('custom_imports', {}).get('imports') == ['mmopen'] or 'mmopen' in str(
        cfg.get('custom_imports'))
    if 'synood' in cfg:  # a SynOOD generation config: no model, the generator's settings
        import inspect

        from mmopen.diffusion import GuidanceSettings
        from mmopen.ood.synood import SynOODGenerator
        known = set(inspect.signature(SynOODGenerator).parameters)
        assert set(cfg.synood) <= known, set(cfg.synood) - known
        settings = GuidanceSettings.from_dict(cfg.synood.guidance)
        assert cfg.synood.resolution % 8 == 0 and settings.outer_iters >= 1
        assert {'data_root', 'ann_file', 'k'} <= set(cfg.seed_data)
        return
    if 'pseudo_unknown_generation' in cfg:  # SeeCLIP: the pseudo-unknown tool's settings
        import inspect

        from mmopen.diffusion import GuidanceSettings
        from mmopen.osdg.seeclip import PseudoUnknownGenerator
        gen = cfg.pseudo_unknown_generation
        known = set(inspect.signature(PseudoUnknownGenerator).parameters) | {
            'per_group', 'seed', 'image_format', 'out_dir', 'fp16', 'batch_size'}
        assert set(gen) <= known, set(gen) - known
        GuidanceSettings.from_dict(gen.get('guidance'))
        assert gen.get('out_dir') and '{domain}' in gen.get('prompt', '{domain}')
        train = cfg.train_dataloader.dataset
        assert train.get('pseudo_unknowns') == gen.out_dir, 'train on what is generated'
        # selection sees "unknown" without the target: validation holds out pseudo-unknowns
        # and the source H-score picks the checkpoint (the select-on-target example validates
        # on the target instead, under its own prefix)
        val = cfg.val_dataloader.dataset
        best = cfg.default_hooks.checkpoint.save_best
        if val.get('split') == 'test':
            assert val.get('pseudo_unknowns') is None and best == 'osdg-target-selected/hscore'
        else:
            assert val.get('pseudo_unknowns') == gen.out_dir
            assert best == 'osdg/hscore' or best[0] == 'osdg/hscore', best
    model_cfg = copy.deepcopy(cfg.model)
    real_backbone = model_cfg.get('backbone', {}).get('model_name')
    _swap_clip_weights(model_cfg, tiny_clip_files, str(neg_file))
    head = model_cfg.get('decode_head', {})
    if (real_backbone != model_cfg.get('backbone', {}).get('model_name')
            and isinstance(head.get('in_channels'), list)):
        # the backbone became the tiny ConvNeXt CLIP: its stage widths
        head['in_channels'] = [16, 32, 48, 64]
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    from mmengine.registry import MODELS
    model = MODELS.build(model_cfg)
    # a forward pass on a small input (32 px: the tiny ViT's native size; 64 px for seg)
    model.eval()
    if cfg.get('default_scope') == 'mmseg':
        from mmseg.structures import SegDataSample
        meta = dict(img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64),
                    padding_size=[0, 0, 0, 0])
        with torch.no_grad():
            preds = model.predict(torch.randn(2, 3, 64, 64),
                                  [SegDataSample(metainfo=meta) for _ in range(2)])
        assert [tuple(p.pred_sem_seg.data.shape) for p in preds] == [(1, 64, 64)] * 2
        return
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32), mode='tensor')
    outs = out if isinstance(out, (tuple, list)) else [out]
    tensors = [o for o in outs if isinstance(o, torch.Tensor)]
    assert tensors and all(torch.isfinite(t).all() for t in tensors)
    assert all(t.shape[0] == 2 for t in tensors)
