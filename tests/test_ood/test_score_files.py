"""Saved score folders: read back exactly, and clear errors for what is not one."""
import json
import os

import numpy as np
import pytest

from mmopen.ood import summarize
from mmopen.ood.score_files import load_scores, save_scores


def test_round_trip_is_exact_and_errors_name_the_path(tmp_path):
    rng = np.random.default_rng(0)
    ids = {'MSP': rng.random(7), 'A/B': {'sun': rng.random(7), 'inat': rng.random(5)}}
    ood = {'sun': {'MSP': rng.random(4), 'A/B': rng.random(4)},
           'inat': {'MSP': rng.random(3), 'A/B': rng.random(3)}}
    out = str(tmp_path / 'scores')
    save_scores(out, 'ImageNet', ids, ood, groups={'far': ['sun']}, conventions=['openood'],
                info={'model': 'm'})
    back = load_scores(out)
    assert np.array_equal(back['id_scores']['MSP'], ids['MSP'])
    assert np.array_equal(back['id_scores']['A/B']['inat'], ids['A/B']['inat'])
    assert back['groups'] == {'far': ['sun']} and back['info'] == {'model': 'm'}
    assert summarize(back['id_scores'], back['ood_scores'], back['groups'], ['openood']) == \
        summarize(ids, ood, {'far': ['sun']}, ['openood'])
    # writing again replaces the folder whole (no stale file of the old run stays)
    save_scores(out, 'ImageNet', {'MSP': ids['MSP']}, {'sun': {'MSP': ood['sun']['MSP']}})
    assert sorted(os.listdir(out)) == ['MSP', 'manifest.json']
    with pytest.raises(FileNotFoundError, match='no manifest.json'):
        load_scores(str(tmp_path))
    os.remove(os.path.join(out, 'MSP', 'sun.npy'))
    with pytest.raises(FileNotFoundError, match='sun.npy'):
        load_scores(out)
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump({'format': 'other'}, f)
    with pytest.raises(ValueError, match='not an mmopen score manifest'):
        load_scores(out)


def test_never_replaces_a_folder_that_is_not_a_score_folder(tmp_path):
    work = tmp_path / 'work_dir'
    work.mkdir()
    (work / 'epoch_1.pth').write_text('a checkpoint')
    with pytest.raises(FileExistsError, match='not a score folder'):
        save_scores(str(work), 'ID', {'MSP': np.zeros(2)}, {'SUN': {'MSP': np.ones(2)}})
    assert (work / 'epoch_1.pth').read_text() == 'a checkpoint'


def test_set_names_that_sanitise_alike_keep_their_own_files(tmp_path):
    out = str(tmp_path / 'scores')
    a, b = np.array([0.1, 0.2]), np.array([0.3, 0.4, 0.5])
    save_scores(out, 'ID', {'MSP': np.zeros(2)},
                {'SUN clean': {'MSP': a}, 'SUN_clean': {'MSP': b}},
                paths={'ID': ['i0', 'i1'], 'SUN clean': ['a0', 'a1'],
                       'SUN_clean': ['b0', 'b1', 'b2']})
    back = load_scores(out)
    assert np.array_equal(back['ood_scores']['SUN clean']['MSP'], a)
    assert np.array_equal(back['ood_scores']['SUN_clean']['MSP'], b)
    assert back['image_paths']['SUN_clean'] == ['b0', 'b1', 'b2']
