"""OOD evaluation through the real tools: tools/test.py prints the per-set tables, two
processes give the same numbers; eval_scores.py on saved scores; a stock mmpretrain config
with custom_imports uses the OOD metric and scores."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.tool_runner import one_thread, run_ranks, run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_quickstart_ood_table_and_two_process_equality(ood_cfg, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    single = str(tmp_path / 'single.json')
    saved, csv_path, md = (str(tmp_path / 'scores'), str(tmp_path / 'lb.csv'),
                           str(tmp_path / 'lb.md'))
    out = run_tool(['tools/test.py', ood_cfg, 'none', '--work-dir',
                str(tmp_path / 'w1'), '--json', single, '--save-scores', saved, '--csv',
                csv_path, '--markdown', md], env)
    for text in ('hendrycks convention', 'openood convention', 'NegLabel', 'DeltaEnergy',
                 'GL-MCM', 'AdaNeg', 'textures', 'shapes', 'near', 'far', 'FPR@95',
                 'id_accuracy/top1'):
        assert text in out.stdout, text
    check_saved_scores_and_leaderboard(single, saved, csv_path, md, tmp_path)
    dist = str(tmp_path / 'dist.json')
    run_ranks(['tools/test.py', ood_cfg, 'none', '--work-dir', str(tmp_path / 'w2'), '--json',
               dist], 2, env)
    with open(single) as f:
        a = json.load(f)
    with open(dist) as f:
        b = json.load(f)
    assert a.keys() == b.keys() and len(a) > 100
    for k in a:
        assert a[k] == pytest.approx(b[k], abs=1e-6), k


def check_saved_scores_and_leaderboard(metrics_json, saved, csv_path, md, tmp_path):
    """The saved scores, re-read by eval_scores.py, give the run's metrics exactly; the CSV has
    one row per (score, set, convention) with the model, config and commit."""
    import csv
    with open(metrics_json) as f:
        run = json.load(f)
    again = str(tmp_path / 'again.json')
    again_csv = str(tmp_path / 'again.csv')
    res = run_tool(['tools/ood/eval_scores.py', saved, '--json', again, '--csv', again_csv])
    assert 'AdaNeg' in res.stdout
    with open(again) as f:
        reread = json.load(f)
    ood_keys = {k for k in run if k != 'id_accuracy/top1'}
    assert set(reread) == ood_keys and len(ood_keys) > 300
    assert all(reread[k] == run[k] for k in ood_keys)  # bit-exact: same float64 scores
    # AdaNeg's ID scores were saved per OOD set (one stream each): they differ between sets
    ada = [np.load(osp.join(saved, 'AdaNeg', f'quickstart-ID@{s}.npy'))
           for s in ('shapes', 'textures')]
    n_id = np.load(osp.join(saved, 'MSP', 'quickstart-ID.npy')).shape
    assert ada[0].shape == ada[1].shape == n_id and not np.array_equal(ada[0], ada[1])
    with open(csv_path, newline='') as f:
        rows = list(csv.DictReader(f))
    keys = [(r['score'], r['ood_set'], r['convention']) for r in rows]
    assert len(keys) == len(set(keys)) == 8 * 5 * 2  # scores x (2 sets, average, near, far)
    assert {r['kind'] for r in rows} == {'set', 'average', 'group'}
    row = rows[[k for k in keys].index(('AdaNeg', 'textures', 'openood'))]
    assert float(row['FPR95']) == run['AdaNeg/textures/openood/FPR95']
    assert row['model'] == 'CLIPOODClassifier(mmopen-tiny-convnext)'
    assert row['config'].endswith('qs_ood.py') and len(row['commit']) >= 7
    with open(again_csv, newline='') as f:
        assert [dict(r) for r in csv.DictReader(f)] == rows  # model etc. from the manifest
    with open(md) as f:
        text = f.read()
    assert '**openood** convention' in text and '| AdaNeg | textures |' in text


def test_eval_scores_tool(tmp_path):
    rng = np.random.default_rng(0)
    ids = np.round(rng.normal(1, 1, 300), 1)
    sun = np.round(rng.normal(0, 1, 200), 1)
    np.save(tmp_path / 'id.npy', ids)
    np.savetxt(tmp_path / 'sun.txt', sun)
    out_json = str(tmp_path / 'm.json')
    res = run_tool(['tools/ood/eval_scores.py', str(tmp_path / 'id.npy'),
                str(tmp_path / 'sun.txt'), '--json', out_json, '--plot',
                str(tmp_path / 'plots')])
    assert 'hendrycks convention' in res.stdout and 'openood convention' in res.stdout
    from mmopen.ood.metrics import ood_metrics
    ref = ood_metrics(ids, sun)
    with open(out_json) as f:
        got = json.load(f)
    assert got['scores/sun/hendrycks/AUROC'] == pytest.approx(100 * ref['hendrycks']['AUROC'])
    assert got['scores/sun/openood/FPR95'] == pytest.approx(100 * ref['openood']['FPR95'])
    assert got['scores/average/hendrycks/FPR95'] == got['scores/sun/hendrycks/FPR95']
    assert osp.getsize(tmp_path / 'plots' / 'roc.png') > 1000
    assert osp.getsize(tmp_path / 'plots' / 'hist_sun.png') > 1000
    bad = tmp_path / 'bad.txt'
    bad.write_text('1.0 nan 2.0')
    res = run_tool(['tools/ood/eval_scores.py', str(tmp_path / 'id.npy'), str(bad)],
                   check=False)
    assert res.returncode != 0 and 'NaN or infinite' in res.stderr


def test_stock_mmpretrain_config_uses_ood_metric_and_scores(quickstart_data, tmp_path):
    """mmpretrain's own CLIP zero-shot config + custom_imports: the OOD benchmark dataset, the
    OOD classifier with its scores, and OODMetric build and evaluate a batch."""
    cls = osp.join(quickstart_data, 'cls')
    cfg_file = tmp_path / 'stock_clip_ood.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = 'mmpretrain::clip/clip_vit-base-p16_zeroshot-cls_in1k.py'
        custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
        model = dict(_delete_=True, type='CLIPOODClassifier',
                     clip=dict(model_name='mmopen-tiny-vit'), vocabulary='imagenet_1k',
                     scores=[dict(type='MCMScore'), dict(type='DeltaEnergyScore'),
                             dict(type='EnergyScore')])
        test_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(
            _delete_=True, type='OODBenchmarkDataset',
            id_dataset=dict(type='CustomDataset', data_root={osp.join(cls, 'imagenet')!r},
                            ann_file='meta/val.txt', data_prefix='val'),
            ood_datasets=dict(textures=dict(type='ImageListDataset',
                                            data_root={osp.join(cls, 'ood', 'textures')!r},
                                            ann_file='list.txt')),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='Resize', scale=(32, 32), interpolation='bicubic'),
                      dict(type='PackInputs', meta_keys=('sample_idx', 'ood_set'))]))
        test_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='OODMetric')]
    '''))
    code = textwrap.dedent(f'''
        import sys
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(cfg_file)!r})
        assert 'mmopen' in sys.modules
        init_default_scope(cfg.default_scope)
        from mmpretrain.registry import DATASETS, METRICS, MODELS
        from mmengine.evaluator import Evaluator
        model = MODELS.build(cfg.model)
        ds = DATASETS.build(cfg.test_dataloader.dataset)
        evaluator = Evaluator([METRICS.build(c) for c in cfg.test_evaluator])
        evaluator.dataset_meta = ds.metainfo
        from mmengine.dataset import pseudo_collate
        for start in range(0, len(ds), 8):
            batch = pseudo_collate([ds[i] for i in range(start, min(start + 8, len(ds)))])
            data = model.data_preprocessor(batch, False)
            preds = model(**data, mode='predict')
            evaluator.process(preds, batch)
        metrics = evaluator.evaluate(len(ds))
        print('KEYS', sorted(metrics)[:3], len(metrics))
        assert 'MCM/textures/hendrycks/AUROC' in metrics
        assert 'DeltaEnergy/textures/openood/FPR95' in metrics
        assert 'accuracy/top1' in metrics and 'id_accuracy/top1' in metrics
    ''')
    res = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert 'KEYS' in res.stdout


def test_clean_ood_list_tool(tmp_path):
    """Exclusion lists (by relative path or bare name) and a saved run's most ID-like images
    are dropped; the list is what ImageListDataset reads; the dropped images are listed with
    why; unknown names and a wrong root are reported."""
    from PIL import Image

    from mmopen.ood.score_files import save_scores
    root = tmp_path / 'ood'
    for i in range(6):
        sub = root / 'SUN' / 'images' / ('a' if i < 3 else 'b')
        sub.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (8, 8), (i * 40, 0, 0)).save(sub / f'img{i}.jpg')
    (tmp_path / 'overlap.txt').write_text('# images showing ID classes\na/img1.jpg\nimg4.jpg x\n'
                                          'missing.jpg\n')
    folder = str(root / 'SUN' / 'images')
    paths = [osp.join(folder, 'a' if i < 3 else 'b', f'img{i}.jpg') for i in range(6)]
    scores = np.array([0.1, 0.2, 0.9, 0.3, 0.4, 0.8])  # img2, img5: the most ID-like
    save_scores(str(tmp_path / 'scores'), 'ID', {'MCM': np.zeros(2)},
                {'SUN': {'MCM': scores}}, paths={'ID': ['x', 'y'], 'SUN': paths})
    out = str(root / 'SUN' / 'clean_list.txt')
    res = run_tool(['tools/ood/clean_ood_list.py', '--root', str(root), '--images',
                    'SUN/images', '--exclude', str(tmp_path / 'overlap.txt'), '--scores',
                    str(tmp_path / 'scores'), '--set', 'SUN', '--score', 'MCM',
                    '--drop-top-fraction', '0.34', '--out', out])
    assert '6 images, 4 dropped, 2 kept' in res.stdout and 'missing.jpg' in res.stdout
    with open(out) as f:
        assert f.read().split() == ['a/img0.jpg', 'b/img3.jpg']
    with open(out + '.removed.txt') as f:
        removed = dict(line.rstrip('\n').split('\t') for line in f)
    assert removed == {'a/img1.jpg': 'listed in overlap.txt',
                       'b/img4.jpg': 'listed in overlap.txt',
                       'a/img2.jpg': 'MCM=0.9', 'b/img5.jpg': 'MCM=0.8'}
    # the cleaned list is an ImageListDataset list
    from mmopen.datasets.ood_sets import ImageListDataset
    ds = ImageListDataset(data_root=str(root), data_prefix='SUN/images',
                          ann_file='SUN/clean_list.txt')
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == [
        'img0.jpg', 'img3.jpg']
    bad = run_tool(['tools/ood/clean_ood_list.py', '--root', str(tmp_path / 'nowhere'),
                    '--images', 'x', '--exclude', str(tmp_path / 'overlap.txt'), '--out',
                    str(tmp_path / 'o.txt')], check=False)
    assert bad.returncode != 0 and 'nowhere' in bad.stderr


def test_ood_inferencer_matches_tools_test_and_thresholds_at_95_tpr(ood_cfg, tmp_path):
    """``OODInferencer`` on the benchmark's images in the test loader's order and batches gives
    ``tools/test.py``'s per-image scores (saved with ``--save-scores``; same pipeline and
    batches, one thread: equal up to the float32 -> float64 cast, hence the 1e-6 tolerance);
    thresholds from the saved ID scores keep >= 95% of the ID images in and are written to the
    CSV."""
    import csv

    from mmopen.apis import OODInferencer
    from mmopen.ood.score_files import load_scores
    saved = str(tmp_path / 'scores')
    run_tool(['tools/test.py', ood_cfg, 'none', '--work-dir', str(tmp_path / 'w'),
              '--save-scores', saved], dict(os.environ, OMP_NUM_THREADS='1'))
    ref = load_scores(saved)
    sets = [ref['id_set']] + ref['ood_sets']
    paths = [p for s in sets for p in ref['image_paths'][s]]
    with one_thread():
        ood = OODInferencer(ood_cfg, 'none', device='cpu', show_progress=False,
                            threshold_from=saved)
        rows = ood(paths, batch_size=16, out_dir=str(tmp_path / 'out'))['predictions']
    assert [r['image'] for r in rows] == paths
    stream = set(ref.get('stream_scores', []))
    assert set(rows[0]['scores']) == set(ref['scores']) and stream == {'AdaNeg'}
    start = 0
    for s in sets:
        n = len(ref['image_paths'][s])
        block = rows[start:start + n]
        start += n
        want = ref['id_scores'] if s == ref['id_set'] else ref['ood_scores'][s]
        for name in ref['scores']:
            if name in stream:  # the call's own stream: finite, one value per image
                assert np.isfinite([r['scores'][name] for r in block]).all()
                continue
            np.testing.assert_allclose([r['scores'][name] for r in block], want[name],
                                       rtol=0, atol=1e-6, err_msg=f'{name} on {s}')
    n_id = len(ref['image_paths'][ref['id_set']])
    assert set(ood.thresholds) == set(ref['scores'])
    for name, t in ood.thresholds.items():
        if name in stream:  # another stream than the saved run's: its own ID scores
            continue
        kept = [not r['is_ood'][name] for r in rows[:n_id]]
        assert 0.95 <= np.mean(kept) < 0.95 + 2 / n_id, name  # the largest such threshold
    with open(tmp_path / 'out' / 'ood_predictions.csv', newline='') as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows) and float(table[3]['MCM']) == rows[3]['scores']['MCM']
    assert table[0]['pred_class'] == rows[0]['pred_class'] and 'NegLabel_is_ood' in table[0]
