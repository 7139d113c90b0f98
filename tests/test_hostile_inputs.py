"""What a user gets wrong, refused early with a message that names the value or path, or kept
without loss: each test is one input that used to lose data or give wrong numbers silently (rc 0)
or fail late or cryptically. The tools run in this process through their ``main`` (a refused run
exits before it loads a model or reads a data set, so each case takes well under a second)."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from tests.tool_runner import run_tool

QUICKSTART_TEST_CONFIG = 'configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py'


def _score_folder(path, n_id=64, n_ood=48):
    from mmopen.ood.score_files import save_scores
    rng = np.random.default_rng(0)
    ids = {'MCM': rng.normal(1, 1, n_id), 'MSP': rng.normal(1, 1, n_id)}
    ood = {'far': {'MCM': rng.normal(0, 1, n_ood), 'MSP': rng.normal(0, 1, n_ood)}}
    paths = {'ID': [f'id/{i}.jpg' for i in range(n_id)],
             'far': [f'far/{i}.jpg' for i in range(n_ood)]}
    save_scores(str(path), 'ID', ids, ood, paths=paths)
    return str(path)


def _refused(args):
    """Run a tool that must refuse: its exit status and the message it ends with."""
    out = run_tool(args, check=False)
    assert out.returncode != 0, out.stdout[-2000:]
    return out.stdout + out.stderr


# ----------------------------------------------------------------------------- score files
def test_a_score_file_that_lost_values_is_refused_naming_the_files(tmp_path):
    """10 of 64 values cut from one score's ID file: the metrics would be another data set's
    (MCM AUROC 41 instead of 53 in the report) under a header that still says 64."""
    folder = _score_folder(tmp_path / 'scores')
    manifest = json.load(open(osp.join(folder, 'manifest.json')))
    rel = manifest['files']['MCM']['ID']
    arr = np.load(osp.join(folder, rel))
    np.save(osp.join(folder, rel), arr[:54])
    msg = _refused(['tools/ood/eval_scores.py', folder])
    assert rel in msg and '54' in msg and '64' in msg and "set 'ID'" in msg


def test_a_nan_in_a_score_file_is_refused_naming_the_file(tmp_path):
    folder = _score_folder(tmp_path / 'scores')
    manifest = json.load(open(osp.join(folder, 'manifest.json')))
    rel = manifest['files']['MSP']['far']
    arr = np.load(osp.join(folder, rel))
    arr[3] = np.nan
    np.save(osp.join(folder, rel), arr)
    msg = _refused(['tools/ood/eval_scores.py', folder])
    assert rel in msg and '1 NaN or infinite' in msg


@pytest.mark.parametrize('level,hint', [('95', 'write 0.95'), ('0', ''), ('-1', ''),
                                        ('1', '')])
def test_recall_level_must_be_a_fraction(tmp_path, level, hint):
    folder = _score_folder(tmp_path / 'scores')
    msg = _refused(['tools/ood/eval_scores.py', folder, '--recall-level', level])
    assert '--recall-level' in msg and 'strictly between 0 and 1' in msg and hint in msg
    from mmopen.evaluation import OODMetric
    with pytest.raises(ValueError, match='strictly between 0 and 1'):
        OODMetric(recall_level=float(level))


def test_eval_scores_refuses_a_json_path_that_is_a_folder_before_reading(tmp_path):
    folder = _score_folder(tmp_path / 'scores')
    target = tmp_path / 'metrics'
    target.mkdir()
    msg = _refused(['tools/ood/eval_scores.py', folder, '--json', str(target)])
    assert '--json' in msg and 'is a folder' in msg


# ----------------------------------------------------------------------------- tools/test.py
def test_test_tool_refuses_outputs_it_cannot_write_before_evaluating(tmp_path):
    """An unwritable --json used to fail after the whole evaluation (hours on real data); the
    check runs before the config is even built (this config's data need not exist)."""
    folder = tmp_path / 'a folder'
    folder.mkdir()
    msg = _refused(['tools/test.py', QUICKSTART_TEST_CONFIG, 'none', '--json', str(folder)])
    assert '--json' in msg and 'is a folder' in msg
    locked = tmp_path / 'locked'
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: nothing to test there
            pytest.skip('running as a user who can write anywhere')
        msg = _refused(['tools/test.py', QUICKSTART_TEST_CONFIG, 'none', '--csv',
                        str(locked / 'rows.csv')])
        assert '--csv' in msg and 'not a writable folder' in msg
    finally:
        os.chmod(locked, 0o700)


def test_test_tool_refuses_a_save_scores_folder_it_would_replace_before_evaluating(tmp_path):
    other = tmp_path / 'results'
    other.mkdir()
    (other / 'notes.txt').write_text('mine')
    msg = _refused(['tools/test.py', QUICKSTART_TEST_CONFIG, 'none', '--save-scores',
                    str(other)])
    assert '--save-scores' in msg and 'not a score folder' in msg
    assert (other / 'notes.txt').read_text() == 'mine'


# ----------------------------------------------------------------------------- mining
def test_mining_refuses_a_percentage_quantile_and_a_ratio_that_keeps_nothing(tmp_path):
    words = tmp_path / 'words.txt'
    words.write_text('nebula\nsonnet\nquasar\nanthem\n')
    base = ['tools/ood/mine_neg_labels.py', '--clip-model', 'mmopen-tiny-vit', '--id-vocab',
            'imagenet_1k_openclip', '--candidates', str(words), '--out',
            str(tmp_path / 'labels.txt')]
    msg = _refused(base + ['--quantile', '95'])
    assert '--quantile 95' in msg and 'write 0.95' in msg
    msg = _refused(base + ['--ratio', '0.05'])  # int(0.05 x 4) = 0
    assert '--ratio 0.05 keeps no label of 4 noun' in msg
    assert not (tmp_path / 'labels.txt').exists()
    msg = _refused(base + ['--ratio', '15'])
    assert 'write 0.15' in msg


# ----------------------------------------------------------------------------- vocabularies
def test_a_vocabulary_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    from mmopen.clip.vocabularies import Vocabulary
    path = tmp_path / 'classes.txt'
    path.write_bytes(b'cat\ndog\ncaf\xe9 table\n')  # Latin-1
    with pytest.raises(ValueError, match=r"classes.txt is not UTF-8 text \(byte b'\\xe9' on "
                                         r'line 3\)'):
        Vocabulary.load(str(path))


def test_class_names_cut_to_the_same_prompt_are_refused_naming_both(tiny_clip_files):
    """Two long names that differ only after the text tower's context: the second class would
    get the first's embedding (cosine 1) and never be predicted."""
    from mmopen.clip import FrozenCLIP
    clip = FrozenCLIP('mmopen-tiny-vit', tiny_clip_files[('mmopen-tiny-vit', 'safetensors')],
                      cache_dir=False)
    long = 'striped ' * 80
    with pytest.raises(ValueError, match=r'Classes 1 .* and 2 .* same text embedding: their '
                                         r'names fill'):
        clip.text_embeddings(['cat', long + 'zebra', long + 'tiger'], ['a photo of a {}.'])
    # a synonym shared by two classes is not a collision (the ensembles differ)
    clip.text_embeddings(['sofa, couch', 'couch, settee'], ['a photo of a {}.'])


# ----------------------------------------------------------------------------- outputs
def test_inferencer_outputs_of_inputs_with_one_stem_do_not_overwrite_each_other(tmp_path):
    """``x.jpg`` and ``x.png`` in one folder, ``x.jpg`` in another, and arrays: every input gets
    its own output name (before: named by stem, two of three written)."""
    from mmopen.apis.base import output_names
    items = [str(tmp_path / 'a' / 'x.jpg'), str(tmp_path / 'a' / 'x.png'),
             str(tmp_path / 'b' / 'x.jpg'), str(tmp_path / 'a' / 'y.jpg'),
             np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8)]
    names = output_names(items)
    assert len(set(names)) == len(items)
    assert names == ['x.jpg_00000', 'x.png', 'x.jpg_00002', 'y', 'array_00004', 'array_00005']


def test_demo_refuses_classes_and_a_vocabulary_together(tmp_path):
    img = tmp_path / 'x.png'
    img.write_bytes(b'')
    msg = _refused(['demo/image_demo.py', str(img), 'configs/ovsnet/quickstart/'
                    'ovsnet_clip-tiny-convnext_quickstart.py', 'none', '--classes', 'cat',
                    '--vocabulary', 'imagenet_1k'])
    assert '--classes or with --vocabulary, not both' in msg


def test_generation_refuses_a_folder_it_did_not_start_and_keeps_it(tmp_path):
    """Another run's manifest (or any file) in --out: the writer used to mix its images and
    logs in and replace the manifest."""
    from mmopen.utils.sharded_writer import check_run
    out = tmp_path / 'set'
    out.mkdir()
    (out / 'manifest.json').write_text('{"records": []}')
    with pytest.raises(FileExistsError, match='manifest.json but no run.json'):
        check_run(str(out), dict(seed=0))
    assert sorted(os.listdir(out)) == ['manifest.json']
    # a run that failed before its first image left run.json: a corrected rerun replaces it
    fresh = tmp_path / 'fresh'
    check_run(str(fresh), dict(seed=0, prompt='wrong'))
    (fresh / 'logs').mkdir()
    check_run(str(fresh), dict(seed=0, prompt='right'))
    assert json.load(open(fresh / 'run.json'))['prompt'] == 'right'
    # once an item is written, other settings are refused
    (fresh / 'meta').mkdir()
    (fresh / 'meta' / '0000000.json').write_text('{}')
    with pytest.raises(ValueError, match=r"\['prompt'\] differ"):
        check_run(str(fresh), dict(seed=0, prompt='other'))


# ----------------------------------------------------------------------------- checkpoints
def test_a_checkpoint_of_another_model_is_refused_unless_partial_loading(tmp_path):
    """tools/test.py with another config's checkpoint used to load nothing (a log warning) and
    report an untrained model's metrics."""
    import torch
    from torch import nn

    from mmopen.utils.launch import check_checkpoint_fits, checkpoint_mismatch
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    same = {f'module.{k}': v for k, v in model.state_dict().items()}  # a DDP-saved copy
    assert checkpoint_mismatch(model, same) == ''
    other = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2), nn.ReLU(), nn.Linear(2, 2))
    msg = checkpoint_mismatch(model, other.state_dict())
    assert msg == ("2 keys of 6 of the checkpoint's are not in the model (3.bias, 3.weight); "
                   "3 keys of 4 of the model's have another shape (0.bias, 0.weight, "
                   "1.weight)")
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=other.state_dict(), meta={}), path)
    ckpt = torch.load(path)  # as the runner reads it (CheckpointFitHook gets this dict)
    with pytest.raises(SystemExit, match=r'does not fit the config.s model: .*--partial-load'):
        check_checkpoint_fits(model, ckpt, str(path))
    check_checkpoint_fits(model, ckpt, str(path), partial=True)  # logged, not refused


# ----------------------------------------------------------------------------- OOD lists
def _ood_folder(tmp_path):
    from PIL import Image
    root = tmp_path / 'ood'
    for rel in ('images/a/x.jpg', 'images/b/x.jpg', 'images/a/c d.jpg', 'images/b/y.jpg'):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (4, 4), (9, 9, 9)).save(root / rel)
    return root


def test_an_excluded_path_is_matched_as_a_path_not_by_its_file_name(tmp_path):
    """``c/x.jpg`` (no such image) used to drop a/x.jpg and b/x.jpg by file name, reporting
    nothing unknown."""
    root = _ood_folder(tmp_path)
    ex = tmp_path / 'exclude.txt'
    ex.write_text('c/x.jpg\na/c d.jpg\n')
    out = tmp_path / 'clean.txt'
    res = run_tool(['tools/ood/clean_ood_list.py', '--root', str(root), '--images', 'images',
                    '--exclude', str(ex), '--out', str(out)])
    assert open(out).read().splitlines() == ['a/x.jpg', 'b/x.jpg', 'b/y.jpg']
    assert "1 excluded names are not in the set, e.g. ['c/x.jpg']" in res.stdout
    # a bare file name that two folders hold is refused, naming both
    ex.write_text('x.jpg\n')
    msg = _refused(['tools/ood/clean_ood_list.py', '--root', str(root), '--images', 'images',
                    '--exclude', str(ex), '--out', str(tmp_path / 'other.txt')])
    assert "'x.jpg'" in msg and 'a/x.jpg' in msg and 'b/x.jpg' in msg
    assert not (tmp_path / 'other.txt').exists()


def test_a_list_path_with_spaces_is_read_whole(tmp_path):
    """The cleaned list of a set with ``a/c d.jpg``: ImageListDataset used to read ``a/c``
    (FileNotFoundError at test time); a ``path label`` line still reads its path."""
    from mmopen.datasets.ood_sets import ImageListDataset
    root = _ood_folder(tmp_path)
    ex = tmp_path / 'exclude.txt'
    ex.write_text('b/y.jpg\n')
    run_tool(['tools/ood/clean_ood_list.py', '--root', str(root), '--images', 'images',
              '--exclude', str(ex), '--out', str(root / 'clean.txt')])
    (root / 'labelled.txt').write_text('b/y.jpg 3\n')
    ds = ImageListDataset(data_root=str(root), ann_file='clean.txt', data_prefix='images',
                          lazy_init=False, pipeline=[])
    paths = sorted(osp.relpath(ds.get_data_info(i)['img_path'], root / 'images')
                   for i in range(len(ds)))
    assert paths == ['a/c d.jpg', 'a/x.jpg', 'b/x.jpg']
    ds = ImageListDataset(data_root=str(root), ann_file='labelled.txt', data_prefix='images',
                          pipeline=[])
    assert osp.basename(ds.get_data_info(0)['img_path']) == 'y.jpg'
