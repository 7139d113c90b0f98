"""What the inferencers share, without a model: configs by name, weights specs, inputs,
thresholds at a TPR, and the pictures."""
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmopen.apis import find_config, list_models, tpr_thresholds
from mmopen.apis.base import checkpoint_file, expand_inputs, input_name
from mmopen.apis.drawing import blend, class_colours, segmentation_picture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_configs_by_name_or_path():
    path = find_config('ovsnet_clip-tiny-convnext_quickstart')
    assert path == osp.join(REPO, 'configs', 'ovsnet', 'quickstart',
                            'ovsnet_clip-tiny-convnext_quickstart.py')
    assert find_config(path) == path
    assert 'clip-tiny-convnext_zero-shot-ood_quickstart' in list_models('quickstart')
    assert not any('_base_' in n or n.startswith('quickstart_') for n in list_models())
    with pytest.raises(FileNotFoundError, match='Did you mean'):
        find_config('ovsnet_clip-tiny-convnext_quickstar')


def test_weights_specs(tmp_path):
    assert checkpoint_file(None) is None and checkpoint_file('none') is None
    with pytest.raises(FileNotFoundError, match='does not exist'):
        checkpoint_file(str(tmp_path / 'missing.pth'))
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        checkpoint_file(f'last:{tmp_path}')


def test_inputs_paths_folders_and_arrays(tmp_path):
    for name in ('b.png', 'a.jpg', 'notes.txt'):
        (tmp_path / name).write_bytes(b'x')
    arr = np.zeros((4, 5, 3), np.uint8)
    got = expand_inputs([str(tmp_path), arr])
    assert got[:2] == [str(tmp_path / 'a.jpg'), str(tmp_path / 'b.png')] and got[2] is arr
    assert input_name(got[0], 0) == 'a' and input_name(arr, 7) == 'array_00007'
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        expand_inputs(str(tmp_path / 'missing.jpg'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no image file'):
        expand_inputs(str(empty))
    with pytest.raises(ValueError, match='RGB uint8'):
        expand_inputs(np.zeros((4, 5), np.uint8))
    with pytest.raises(TypeError, match='image path'):
        expand_inputs(3)


def test_thresholds_keep_the_tpr_of_the_id_scores():
    rng = np.random.default_rng(0)
    for n in (1, 7, 20, 101):
        scores = rng.normal(size=n)
        t = tpr_thresholds({'s': scores}, 0.95)['s']
        # by brute force: the largest candidate keeping >= 95% of the ID scores
        ok = [c for c in scores if np.mean(scores >= c) >= 0.95]
        assert t == max(ok)
    pooled = tpr_thresholds({'a': {'x': np.arange(10.), 'y': np.arange(10., 20.)}}, 0.5)['a']
    assert pooled == 10.0
    with pytest.raises(ValueError, match='tpr=0'):
        tpr_thresholds({'s': [1.0]}, 0)


def test_picture_blends_and_lists_the_classes_present():
    rgb = np.full((20, 30, 3), 200, np.uint8)
    labels = np.zeros((20, 30), np.int64)
    labels[:, 20:] = 2
    colours = class_colours(3)
    out = blend(rgb, labels, colours, 0.25)
    want = (200 * 0.75 + colours[labels].astype(np.float64) * 0.25).astype(np.uint8)
    assert np.abs(out.astype(int) - want).max() <= 1
    pic = segmentation_picture(rgb, labels, ['wall', 'grass', 'kite'], 0.25)
    assert pic.shape[0] >= 20 and pic.shape[1] > 30
    legend = pic[:, 30:]
    # one swatch per class present (2 of 3), in its colour, the larger area first
    rows = [y for y in range(legend.shape[0])
            if any((legend[y] == c).all(-1).any() for c in colours)]
    swatches = {tuple(c) for c in colours if (legend == c).all(-1).any()}
    assert swatches == {tuple(colours[0]), tuple(colours[2])} and rows
    first = next(tuple(legend[y][(legend[y] != 255).any(-1)][1]) for y in rows)
    assert first == tuple(colours[0])  # wall (600 px) before kite (200 px)
    with pytest.raises(ValueError, match='size'):
        blend(rgb, labels[:10], colours)
    Image.fromarray(pic)  # a valid RGB image
