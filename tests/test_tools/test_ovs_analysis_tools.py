"""The OVS analysis tools: semantic similarity table, OpenBench construction, the vocabulary
size curve and the image demo, on the quickstart data."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmopen.analysis import select_openbench, similarity_summary

from tests.tool_runner import run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QS = osp.join(REPO, 'configs', 'ovsnet', 'quickstart', 'ovsnet_clip-tiny-convnext_quickstart.py')




def test_openbench_selection_rule():
    sims = dict(cat=0.95, dog=0.9, okapi=0.5, tapir=0.6, lychee=0.55)
    images = [{'cat', 'okapi'}, {'okapi', 'tapir'}, {'lychee', 'dog'}, {'cat'}]
    sel = select_openbench(images, sims, sigma1=0.7, sigma2=0.58)
    assert sel.kept == [0, 1, 2]  # image 3 holds only a training-like class
    assert sel.to_others == {'cat', 'dog', 'tapir'}
    assert sel.classes == ['lychee', 'okapi']
    assert sel.image_similarity == [0.5, 0.5, 0.55, 0.95]
    assert similarity_summary([0.2, 0.4, 0.9]) == pytest.approx(
        dict(mean=0.5, median=0.4, min=0.2, max=0.9))


def test_semantic_similarity_tool(quickstart_data, tmp_path):
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    out_json = str(tmp_path / 's.json')
    text = run_tool(['tools/analysis/semantic_similarity.py', '--clip-model',
                 'mmopen-tiny-convnext', '--clip-weights', weights, '--train',
                 'coco_panoptic_133', '--test', 'voc_20', 'cityscapes_19', '--json', out_json,
                 '--plot', str(tmp_path / 's.png')]).stdout
    assert 'voc_20' in text and 'cityscapes_19' in text and 'median' in text
    with open(out_json) as f:
        res = json.load(f)
    assert res['summary']['voc_20']['classes'] == 20
    v = np.array(res['per_class']['voc_20'])
    assert res['summary']['voc_20']['max'] == pytest.approx(v.max())
    assert osp.getsize(tmp_path / 's.png') > 1000


def test_openbench_build_tool(quickstart_data, tmp_path):
    seg = osp.join(quickstart_data, 'seg')
    out = str(tmp_path / 'openbench')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    text = run_tool(['tools/openbench/build.py', '--clip-model', 'mmopen-tiny-convnext',
                 '--clip-weights', weights, '--train', 'coco_panoptic_133', '--sigma1', '2',
                 '--sigma2', '-2', '--reduce-zero-label', '--source',
                 osp.join(seg, 'images', 'validation'), osp.join(seg, 'annotations',
                                                                 'validation'),
                 osp.join(seg, 'classes.txt'), '--out', out]).stdout
    assert 'kept 16 of 16 images' in text  # sigma1 above any cosine: every image kept
    with open(osp.join(out, 'classes.txt')) as f:
        assert f.read() == 'others, background\n'  # sigma2 below any cosine: all -> others
    labels = np.asarray(Image.open(osp.join(out, 'annotations', '000000.png')))
    assert set(np.unique(labels)) <= {0, 255}
    assert len(os.listdir(osp.join(out, 'images'))) == 16


def test_vocab_size_curve_and_demo(quickstart_data, tmp_path):
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    opts = [f'test_dataloader.dataset.data_root={seg}',
            f'test_dataloader.dataset.vocabulary={seg}/classes.txt',
            f'model.backbone.weights={weights}',
            f'model.decode_head.text_encoder.weights={weights}',
            f'model.decode_head.vocabulary={seg}/classes.txt']
    out_json = str(tmp_path / 'curve.json')
    run_tool(['tools/analysis/vocab_size_curve.py', QS, 'none', '--distractors', 'voc_20',
          '--steps', '0', '10', '--max-images', '4', '--json', out_json, '--cfg-options',
          *opts])
    with open(out_json) as f:
        curve = json.load(f)
    assert set(curve) == {'5', '15'}
    img = osp.join(seg, 'images', 'validation', 'qs_000000.jpg')
    cfg = tmp_path / 'demo_cfg.py'
    cfg.write_text(f"_base_ = {QS!r}\nclip = dict(model_name='mmopen-tiny-convnext', "
                   f"weights={weights!r})\nmodel = dict(backbone=clip, decode_head=dict("
                   f"text_encoder=clip, vocabulary={seg + '/classes.txt'!r}))\n")
    out_png = str(tmp_path / 'demo.png')
    text = run_tool(['demo/image_demo.py', img, str(cfg), 'none', '--classes', 'wall, walls',
                 'grass', 'ball', 'box', 'tent', '--out', out_png]).stdout
    assert 'classes found' in text and osp.getsize(out_png) > 1000
