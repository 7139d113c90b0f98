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


# ----------------------------------------------------------------------------- data set files
def _image(path, size=(32, 32), mode='RGB', fmt=None):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size).save(path, fmt)
    return str(path)


def test_broken_image_files_are_all_named_before_the_loop_reads_one(tmp_path):
    """A zero-byte image used to stop a run at its batch with ``cv2.error: !buf.empty()`` and a
    1 x 1 image with a convolution's size error, neither naming a file; a web page saved as
    .jpg (a failed download) and a listed file that is gone, likewise one per run. The hook that
    tools/train.py and tools/test.py add names them all at once, before the first batch."""
    from types import SimpleNamespace

    from mmengine.logging import MMLogger

    from mmopen.datasets.ood_sets import ImageListDataset
    from mmopen.engine import ImageFileCheckHook
    root = tmp_path / 'set'
    _image(root / 'good.jpg')
    (root / 'empty.jpg').write_bytes(b'')
    _image(root / 'dot.jpg', (1, 1))
    (root / 'page.jpg').write_text('<!DOCTYPE html><html>429 Too Many Requests</html>')
    (root / 'list.txt').write_text('good.jpg\nempty.jpg\ndot.jpg\npage.jpg\ngone.jpg\n')
    dataset = ImageListDataset(data_root=str(root), ann_file='list.txt', pipeline=[])
    runner = SimpleNamespace(test_dataloader=SimpleNamespace(dataset=dataset),
                             logger=MMLogger.get_current_instance())
    with pytest.raises(ValueError) as err:
        ImageFileCheckHook().before_test(runner)
    msg = str(err.value)
    assert msg.startswith('4 problem(s) in the files of the test set (5 samples)')
    for line in (f'{root}/empty.jpg is an empty file (0 bytes)',
                 f'{root}/dot.jpg is 1 x 1 pixels, smaller than 8 x 8',
                 f'{root}/page.jpg is not an image a decoder can read (it starts like a web '
                 'page', f'{root}/gone.jpg does not exist'):
        assert line in msg
    assert 'good.jpg' not in msg
    (root / 'list.txt').write_text('good.jpg\n')
    ImageFileCheckHook().before_test(runner.__class__(  # the sound list passes
        test_dataloader=SimpleNamespace(dataset=ImageListDataset(
            data_root=str(root), ann_file='list.txt', pipeline=[])), logger=runner.logger))


def test_colour_and_mis_sized_annotations_are_refused(tmp_path):
    """A colour-coded label PNG (mmseg reads one class index per pixel) and an annotation
    saved at another size than its image used to give wrong metrics or a shape error late."""
    from mmopen.datasets.image_files import sample_problems
    img = _image(tmp_path / 'a.jpg', (40, 30))
    assert sample_problems(img, _image(tmp_path / 'ok.png', (40, 30), 'L')) == []
    assert sample_problems(img, _image(tmp_path / 'pal.png', (40, 30), 'P')) == []
    rgb = _image(tmp_path / 'rgb.png', (40, 30), 'RGB')
    assert sample_problems(img, rgb) == [
        f'annotation {rgb} is a RGB image: mmseg reads one class index per pixel from a '
        'one-channel (L or P) PNG; convert the colours to indices']
    small = _image(tmp_path / 'small.png', (20, 15), 'L')
    assert sample_problems(img, small) == [
        f'annotation {small} is 20 x 15 but its image {img} is 40 x 30']


def test_the_tools_add_the_file_check_and_refuse_a_work_dir_that_is_a_file(tmp_path):
    import argparse

    from mmopen.utils.launch import add_common_args, prepare_config
    parser = argparse.ArgumentParser()
    add_common_args(parser)
    cfg = prepare_config(parser.parse_args([QUICKSTART_TEST_CONFIG]))
    assert [h['type'] for h in cfg.custom_hooks].count('ImageFileCheckHook') == 1
    cfg = prepare_config(parser.parse_args([QUICKSTART_TEST_CONFIG, '--no-file-check']))
    assert 'ImageFileCheckHook' not in [h['type'] for h in cfg.get('custom_hooks', [])]
    target = tmp_path / 'run.log'
    target.write_text('keep')
    with pytest.raises(SystemExit, match='run.log: is a file, not a folder'):
        prepare_config(parser.parse_args([QUICKSTART_TEST_CONFIG, '--work-dir', str(target)]))
    assert target.read_text() == 'keep'


def test_resuming_another_models_checkpoint_is_checked_when_it_is_read(tmp_path, monkeypatch):
    """``tools/train.py --resume`` used to load what matched, warn, and train on."""
    import mmopen.utils
    seen = {}

    def stop(cfg):
        seen['hooks'] = cfg.custom_hooks
        raise SystemExit('stopped before the runner')

    monkeypatch.setattr(mmopen.utils, 'build_runner', stop)
    ckpt = tmp_path / 'other.pth'
    ckpt.write_bytes(b'x')
    out = run_tool(['tools/train.py', QUICKSTART_TEST_CONFIG, '--resume', str(ckpt),
                    '--work-dir', str(tmp_path / 'w')], check=False)
    assert 'stopped before the runner' in out.stdout + out.stderr
    assert dict(type='CheckpointFitHook', path=str(ckpt)) in seen['hooks']


def test_an_image_in_the_id_set_and_an_ood_set_is_refused(tmp_path):
    """Web-drawn OOD sets overlap the ID set; an image in both counts as ID and as OOD and
    pulls AUROC towards 50 without an error."""
    from mmopen.datasets.ood_sets import OODBenchmarkDataset
    for name in ('a', 'b'):
        _image(tmp_path / 'id' / f'{name}.jpg')
    _image(tmp_path / 'ood' / 'c.jpg')
    (tmp_path / 'ood.txt').write_text('ood/c.jpg\nid/b.jpg\n')
    ood = dict(type='ImageListDataset', data_root=str(tmp_path), ann_file='ood.txt')
    ids = dict(type='ImageListDataset', data_root=str(tmp_path / 'id'), label=0)
    with pytest.raises(ValueError, match=r'1 image\(s\) of the OOD sets are also in the ID set '
                                         r"'ID':\n  web: .*id/b.jpg"):
        OODBenchmarkDataset(ids, dict(web=ood))
    (tmp_path / 'ood.txt').write_text('ood/c.jpg\n')
    assert len(OODBenchmarkDataset(ids, dict(web=ood))) == 3


def test_a_vocabulary_saved_with_a_byte_order_mark_keeps_its_first_class(tmp_path):
    """Windows editors start UTF-8 files with U+FEFF; it used to become part of the first class
    name ('\\ufeffcat', another prompt and embedding), silently."""
    from mmopen.clip.vocabularies import Vocabulary
    path = tmp_path / 'classes.txt'
    path.write_bytes('cat\r\ndog\r\n'.encode('utf-8-sig'))
    assert [list(c) for c in Vocabulary.load(str(path)).classes] == [['cat'], ['dog']]


def test_a_truncated_checkpoint_is_named(tmp_path):
    """An interrupted copy used to raise torch's 'PytorchStreamReader failed ...' naming no
    file."""
    import torch

    from mmopen.compat.checkpoint import safe_torch_load
    path = tmp_path / 'iter_100.pth'
    torch.save(dict(state_dict={'w': torch.zeros(256)}), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RuntimeError, match=r"checkpoint '.*iter_100.pth': it is truncated or "
                                           'corrupt'):
        safe_torch_load(str(path))


def test_an_ablation_refuses_a_seed_given_twice(capsys):
    """``--seeds 0 0 1`` would count seed 0's run twice in a mean +- std and its k of n."""
    import argparse

    from mmopen.utils.seed_runs import add_seed_arguments
    parser = argparse.ArgumentParser()
    add_seed_arguments(parser, ['a'], 'w')
    with pytest.raises(SystemExit):
        parser.parse_args(['--seeds', '0', '0', '1'])
    assert '--seeds 0 0 1: give distinct seeds >= 0' in capsys.readouterr().err
    assert parser.parse_args(['--seeds', '2', '0']).seeds == [2, 0]


def test_auto_scale_lr_is_a_flag_and_needs_the_configs_batch(tmp_path, monkeypatch):
    """MMEngine scales the learning rate only with ``auto_scale_lr.enable``; the SynOOD
    stage-1 config lacked it and no tool set it, so a 2-GPU run of an 8xb1 config trained
    batch 2 at the batch-8 rate with no way to ask otherwise."""
    import mmopen.utils
    seen = []

    def stop(cfg):
        seen.append(cfg.get('auto_scale_lr'))
        raise SystemExit('stopped before the runner')

    monkeypatch.setattr(mmopen.utils, 'build_runner', stop)
    stage1 = 'configs/synood/synood_clip-vit-b16_stage1-projection_imagenet.py'
    for flags in ([], ['--auto-scale-lr']):
        run_tool(['tools/train.py', stage1, '--work-dir', str(tmp_path / 'w')] + flags,
                 check=False)
    assert seen == [dict(enable=False, base_batch_size=128),
                    dict(enable=True, base_batch_size=128)]
    msg = _refused(['tools/train.py', QUICKSTART_TEST_CONFIG, '--auto-scale-lr'])
    assert 'no auto_scale_lr.base_batch_size' in msg
