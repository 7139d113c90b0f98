"""``custom_imports=['mmopen']`` in a stock OpenMMLab config makes mmopen's components
available by ``type=`` in the host registries."""
import subprocess
import sys
import textwrap


def test_components_are_in_host_registries():
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmseg.registry import DATASETS as SEG_DATASETS
    from mmseg.registry import MODELS as SEG_MODELS

    assert SEG_MODELS.get('CLIPDenseBackbone') is not None
    assert PRETRAIN_MODELS.get('CLIPDenseBackbone') is not None
    assert SEG_DATASETS.get('VocabSegDataset') is not None
    # runner_type='MMOpenRunner' of the _base_ runtimes, found from both hosts' scopes
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import RUNNERS as PRETRAIN_RUNNERS
    from mmseg.registry import RUNNERS as SEG_RUNNERS

    from mmopen.engine import MMOpenRunner
    for scope, runners in (('mmseg', SEG_RUNNERS), ('mmpretrain', PRETRAIN_RUNNERS)):
        with DefaultScope.overwrite_default_scope(scope):
            assert runners.get('MMOpenRunner') is MMOpenRunner


def test_stock_mmseg_config_with_custom_imports(tiny_clip_files, tmp_path):
    """A fresh interpreter that never imports mmopen itself: the config's custom_imports does."""
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    cfg_file = tmp_path / 'stock_segformer_clip.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = 'mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py'
        custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
        model = dict(
            backbone=dict(_delete_=True, type='CLIPDenseBackbone',
                          model_name='mmopen-tiny-convnext', weights={weights!r}),
            decode_head=dict(in_channels=[16, 32, 48, 64], channels=32,
                             norm_cfg=dict(type='GN', num_groups=8)))
    '''))
    code = textwrap.dedent(f'''
        import sys, torch
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        assert 'mmopen' not in sys.modules
        cfg = Config.fromfile({str(cfg_file)!r})
        assert 'mmopen' in sys.modules, 'custom_imports did not import mmopen'
        init_default_scope('mmseg')
        from mmseg.registry import MODELS
        model = MODELS.build(cfg.model)
        from mmseg.structures import SegDataSample
        from mmengine.structures import PixelData
        x = torch.randn(2, 3, 64, 64)
        samples = []
        for _ in range(2):
            s = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 150, (1, 64, 64))))
            s.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64)))
            samples.append(s)
        losses = model.loss(x, samples)
        print('LOSS', float(sum(v for k, v in losses.items() if 'loss' in k)))
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'LOSS' in out.stdout
