"""The quickstart data writer: deterministic, left alone when complete, never replacing folders
it did not finish, the seen / unseen split consistent with the label maps."""
import hashlib
import os

import numpy as np
import pytest
from PIL import Image

from mmopen.clip.vocabularies import load_vocabulary
from mmopen.quickstart.quickstart_data import write_quickstart_data

SMALL = dict(seg_train=4, seg_val=2, cls_train=2, cls_val=1, ood=2, seg_size=64)


def _digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            h.update(f.encode())
            with open(os.path.join(dirpath, f), 'rb') as fh:
                h.update(fh.read())
    return h.hexdigest()


def test_deterministic_idempotent_and_safe(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    assert write_quickstart_data(str(a), log=lambda *_: None, **SMALL)
    assert write_quickstart_data(str(b), log=lambda *_: None, **SMALL)
    assert _digest(a) == _digest(b)
    assert not write_quickstart_data(str(a), log=lambda *_: None, **SMALL)  # complete: kept
    (a / 'tiny_clip.safetensors').write_text('x')  # the user's own files stay
    assert write_quickstart_data(str(a), log=lambda *_: None, **dict(SMALL, seed=1))
    assert (a / 'tiny_clip.safetensors').exists() and _digest(a / 'seg') != _digest(b / 'seg')
    c = tmp_path / 'c'
    os.makedirs(c / 'seg')  # not written by the writer (no manifest)
    with pytest.raises(FileExistsError, match='did not finish'):
        write_quickstart_data(str(c), log=lambda *_: None, **SMALL)
    assert write_quickstart_data(str(c), force=True, log=lambda *_: None, **SMALL)


def test_seen_and_unseen_classes(tmp_path):
    write_quickstart_data(str(tmp_path), log=lambda *_: None, **dict(SMALL, seg_train=20))
    seg = tmp_path / 'seg'
    every = load_vocabulary(str(seg / 'classes.txt'))
    seen = load_vocabulary(str(seg / 'classes_seen.txt'))
    unseen = load_vocabulary(str(seg / 'classes_unseen.txt'))
    assert len(every) == 8 and sorted(map(tuple, seen + unseen)) == sorted(map(tuple, every))
    assert [c[0] for c in unseen] == ['kite', 'tire']
    labels = set()
    for f in os.listdir(seg / 'annotations' / 'training'):
        labels |= set(np.unique(np.asarray(Image.open(seg / 'annotations' / 'training' / f))))
    assert labels == set(range(1, 9))  # every class, unseen ones included, is annotated
