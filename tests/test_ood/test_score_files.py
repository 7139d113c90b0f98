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
