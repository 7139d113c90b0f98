"""Atomic writes: a finished write replaces the destination, a failed one leaves it as it was
and no temporary file behind."""
import os

import pytest

from mmopen.utils.io import atomic_path, write_json_atomic, write_text_atomic


def test_file_written_atomically(tmp_path):
    path = tmp_path / 'sub' / 'out.txt'
    write_text_atomic('one', str(path))
    assert path.read_text() == 'one'
    with pytest.raises(RuntimeError):
        with atomic_path(str(path)) as tmp:
            with open(tmp, 'w') as f:
                f.write('half')
            raise RuntimeError('interrupted')
    assert path.read_text() == 'one'  # untouched
    assert os.listdir(path.parent) == ['out.txt']  # no temporary file left
    write_json_atomic({'a': 1}, str(path))
    assert path.read_text().replace(' ', '').replace('\n', '') == '{"a":1}'


def test_folder_replaced_atomically(tmp_path):
    out = tmp_path / 'data'
    with atomic_path(str(out), is_dir=True) as tmp:
        (open(os.path.join(tmp, 'a'), 'w')).close()
    assert os.listdir(out) == ['a']
    with pytest.raises(ValueError):
        with atomic_path(str(out), is_dir=True) as tmp:
            (open(os.path.join(tmp, 'b'), 'w')).close()
            raise ValueError
    assert os.listdir(out) == ['a']
    with atomic_path(str(out), is_dir=True) as tmp:
        (open(os.path.join(tmp, 'c'), 'w')).close()
    assert os.listdir(out) == ['c'] and sorted(os.listdir(tmp_path)) == ['data']
