"""The OVS tools on the quickstart data: the semantic-similarity table, OpenBench construction
(thresholds inside the data's range, > 255 classes, PNG sources, read back by the evaluation
config), the vocabulary-size curve against a loop over images written here, and the demo."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from tests.tool_runner import run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QS = osp.join(REPO, 'configs', 'ovsnet', 'quickstart', 'ovsnet_clip-tiny-convnext_quickstart.py')


def test_semantic_similarity_tool(quickstart_data, tmp_path):
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    out_json = str(tmp_path / 's.json')
    text = run_tool(['tools/analysis/semantic_similarity.py', '--clip-model',
                     'mmopen-tiny-convnext', '--clip-weights', weights, '--train',
                     'coco_panoptic_133', '--test', 'voc_20', 'cityscapes_19', '--json',
                     out_json, '--plot', str(tmp_path / 's.png')]).stdout
    assert 'voc_20' in text and 'cityscapes_19' in text and 'median' in text
    with open(out_json) as f:
        res = json.load(f)
    assert res['summary']['voc_20']['classes'] == 20
    v = np.array(res['per_class']['voc_20'])
    assert res['summary']['voc_20']['max'] == pytest.approx(v.max())
    assert osp.getsize(tmp_path / 's.png') > 1000


# COCO-Panoptic classes listed there under these names alone: their text embeddings are the
# training classes' own, similarity 1 whatever the CLIP
TRAIN_NAMES = ['tent', 'grass']


def _wide_source(root, n_widgets=300, size=16):
    """A source with PNG images and 16-bit label maps (1-based, 0 = background) over
    ``n_widgets`` made-up classes plus three training classes: three images of widgets only
    (every widget in one of them), one of training classes only (to be dropped), and one of
    widgets and a training class (kept, the training class becoming "others")."""
    img_dir, ann_dir = root / 'img', root / 'ann'
    os.makedirs(img_dir)
    os.makedirs(ann_dir)
    rng = np.random.default_rng(0)
    widget_ids = rng.permutation(np.arange(1, n_widgets + 1))
    train_ids = np.arange(n_widgets + 1, n_widgets + 1 + len(TRAIN_NAMES))
    contents = list(np.array_split(widget_ids, 3)) + [train_ids,
                                                      np.r_[widget_ids[:5], train_ids[:1]]]
    for i, ids in enumerate(contents):
        label = np.zeros((size, size), np.uint16)
        label.flat[:len(ids)] = ids
        Image.fromarray(label).save(ann_dir / f'w{i}.png')
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(
            img_dir / f'w{i}.png')
    classes = root / 'classes.txt'
    classes.write_text(''.join(f'widget {k:03d}\n' for k in range(n_widgets)) +
                       ''.join(f'{n}\n' for n in TRAIN_NAMES))
    return str(img_dir), str(ann_dir), str(classes)


def _label_sets(ann_dir, reduce=True):
    out = {}
    for f in sorted(os.listdir(ann_dir)):
        lab = np.asarray(Image.open(osp.join(ann_dir, f))).astype(np.int64)
        out[osp.splitext(f)[0]] = lab - 1 if reduce else lab  # -1: background / ignored
    return out


def _between(values, q):
    """A threshold halfway between two neighbouring distinct values near quantile ``q``, so
    that float rounding in the tool's own similarity computation cannot move any value across
    it."""
    v = np.unique(np.round(values, 6))
    i = min(int(q * (len(v) - 1)), len(v) - 2)
    return float((v[i] + v[i + 1]) / 2)


def test_openbench_build_tool(quickstart_data, tmp_path, monkeypatch):
    """Thresholds chosen inside the data's range: some images dropped, some classes renamed to
    "others", more than 255 classes kept (16-bit maps), PNG and JPEG sources; every written
    label is checked against the rule applied here pixel by pixel."""
    from mmopen.clip import FrozenCLIP
    from mmopen.clip.vocabularies import class_names
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    src_a = (osp.join(seg, 'images', 'validation'), osp.join(seg, 'annotations', 'validation'),
             osp.join(seg, 'classes.txt'))
    src_b = _wide_source(tmp_path / 'wide')
    names_a, names_b = class_names(src_a[2]), class_names(src_b[2])
    # the similarity of every class to the training vocabulary, computed here
    clip = FrozenCLIP('mmopen-tiny-convnext', weights)
    train = clip.text_embeddings('coco_panoptic_133', 'vild')
    sim = {}
    for n in names_a + names_b:
        e = clip.text_embeddings([[n]], 'vild')[0]
        sim[n] = max(float(e @ t) for t in train)
    images = []  # (stem, image path, class-name map per pixel or None)
    for (img_dir, ann_dir, _), names, ext in ((src_a, names_a, '.jpg'), (src_b, names_b, '.png')):
        for stem, lab in _label_sets(ann_dir).items():
            images.append((osp.join(img_dir, stem + ext), lab, names))
    img_sim = [min(sim[names[k]] for k in np.unique(lab) if k >= 0) for _, lab, names in images]
    # sigma1 halfway between the highest image similarity below 1 and 1: the images of
    # training classes only are dropped; sigma2: the 90th percentile of the classes below
    # sigma1 in the kept images, so that some become "others" and more than 255 keep their name
    assert max(img_sim) > 0.9999
    sigma1 = (max(v for v in img_sim if v < 0.9999) + 1) / 2
    kept = [i for i, s in enumerate(img_sim) if s <= sigma1]
    present = sorted({images[i][2][k] for i in kept for k in np.unique(images[i][1]) if k >= 0})
    sigma2 = _between([sim[n] for n in present if sim[n] <= sigma1], 0.9)
    assert 0 < len(kept) < len(images)
    named = sorted(n for n in present if sim[n] <= sigma2)
    assert len(named) > 255 and len(named) < len(present)
    out = str(tmp_path / 'openbench')
    args = ['tools/openbench/build.py', '--clip-model', 'mmopen-tiny-convnext',
            '--clip-weights', weights, '--train', 'coco_panoptic_133', '--sigma1', str(sigma1),
            '--sigma2', str(sigma2), '--reduce-zero-label', '--out', out]
    for src in (src_a, src_b):
        args += ['--source', *src]
    text = run_tool(args).stdout
    assert f'kept {len(kept)} of {len(images)} images' in text
    with open(osp.join(out, 'classes.txt')) as f:
        assert f.read().splitlines() == named + ['others, background']
    new_id = {n: i for i, n in enumerate(named)}
    written = sorted(os.listdir(osp.join(out, 'annotations')))
    assert len(written) == len(kept)
    for n, i in enumerate(kept):
        img_path, lab, names = images[i]
        expect = np.full(lab.shape, 65535, np.int64)
        for k in np.unique(lab):
            if k >= 0:
                expect[lab == k] = new_id.get(names[k], len(named))  # else: "others"
        got = np.asarray(Image.open(osp.join(out, 'annotations', f'{n:06d}.png')))
        assert np.array_equal(got.astype(np.int64), expect), img_path
        assert osp.isfile(osp.join(out, 'images', f'{n:06d}' + osp.splitext(img_path)[1]))
    # the evaluation config reads it: PNG sources included, class ids above 255 intact
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.registry import DATASETS

    cfg = Config.fromfile(osp.join(REPO, 'configs', 'ovsnet', '_base_', 'datasets',
                                   'openbench_val.py'))
    cfg.test_dataloader.dataset.update(data_root=out,
                                       vocabulary=osp.join(out, 'classes.txt'))
    cfg.test_dataloader.dataset.pipeline = [p for p in cfg.test_dataloader.dataset.pipeline
                                            if p['type'] != 'Resize']
    init_default_scope('mmseg')
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == len(kept)
    assert any(ds.get_data_info(i)['img_path'].endswith('.png') for i in range(len(ds)))
    top = max(int(ds[i]['data_samples'].gt_sem_seg.data[
        ds[i]['data_samples'].gt_sem_seg.data != 65535].max()) for i in range(len(ds)))
    assert top > 255


def _vocab_curve_reference(model, dataset, base, extra, n):
    """mIoU over the dataset's classes with ``base + extra`` as the vocabulary, computed with a
    loop over images and classes (not the tool's code)."""
    from mmengine.dataset import pseudo_collate
    model.decode_head.text.set_test_vocabulary(base + extra, override_config=True)
    c = len(base)
    inter, union = np.zeros(c), np.zeros(c)
    for i in range(n):
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        with torch.no_grad():
            pred = model.predict(data['inputs'], data['data_samples'])[0]
        p = pred.pred_sem_seg.data.squeeze().numpy()
        g = pred.gt_sem_seg.data.squeeze().numpy()
        valid = g != 255
        for k in range(c):
            inter[k] += np.sum((p == k) & (g == k) & valid)
            union[k] += np.sum(((p == k) | (g == k)) & valid)
    iou = [inter[k] / union[k] for k in range(c) if union[k] > 0]
    return 100 * float(np.mean(iou))


def test_vocab_size_curve_against_a_reference(quickstart_data, tmp_path):
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    opts = [f'test_dataloader.dataset.data_root={seg}',
            f'test_dataloader.dataset.vocabulary={seg}/classes.txt',
            f'model.backbone.weights={weights}',
            f'model.decode_head.vocabulary={seg}/classes_seen.txt']
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.apis import init_model
    from mmseg.registry import DATASETS

    from mmopen.clip.vocabularies import load_vocabulary
    cfg = Config.fromfile(QS)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in opts))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = init_model(cfg, None, device='cpu')  # random head weights, saved for both runs
    state = {k: v.clone() for k, v in model.state_dict().items()}
    ckpt = str(tmp_path / 'random.pth')
    # as a Runner writes it: numpy in the meta (torch.load(weights_only=True) alone refuses it)
    torch.save(dict(state_dict=state, meta=dict(seed=np.int64(0), iter=1)), ckpt)
    out_json = str(tmp_path / 'curve.json')
    run_tool(['tools/analysis/vocab_size_curve.py', QS, ckpt, '--distractors', 'voc_20',
              '--steps', '0', '10', '--max-images', '4', '--json', out_json, '--cfg-options',
              *opts])
    with open(out_json) as f:
        curve = json.load(f)
    assert set(curve) == {'8', '18'}
    # the reference: the same weights, the first 4 validation images, a loop written here
    model = init_model(cfg, None, device='cpu')
    model.load_state_dict(state)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    base = load_vocabulary(f'{seg}/classes.txt')
    taken = {n.lower() for names in base for n in names}
    pool = [v for v in load_vocabulary('voc_20') if not any(n.lower() in taken for n in v)]
    for k in (0, 10):
        ref = _vocab_curve_reference(model, dataset, base, pool[:k], 4)
        assert curve[str(8 + k)] == pytest.approx(ref, abs=1e-6), k


def test_demo(quickstart_data, tmp_path):
    seg = osp.join(quickstart_data, 'seg')
    weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    img = osp.join(seg, 'images', 'validation', 'qs_000000.jpg')
    cfg = tmp_path / 'demo_cfg.py'
    cfg.write_text(f"_base_ = {QS!r}\nclip = dict(model_name='mmopen-tiny-convnext', "
                   f"weights={weights!r})\nmodel = dict(backbone=clip, decode_head=dict("
                   f"text_encoder=clip, vocabulary={seg + '/classes_seen.txt'!r}))\n")
    out_png = str(tmp_path / 'demo.png')
    text = run_tool(['demo/image_demo.py', img, str(cfg), 'none', '--classes', 'wall, walls',
                     'grass', 'ball', 'box', 'tent', 'kite', '--out', out_png]).stdout
    assert 'of 6 classes found' in text and osp.getsize(out_png) > 1000
