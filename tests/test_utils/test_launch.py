"""The tools' checkpoint arguments, and the experiment names of runners started in one
process."""
import os

import pytest

from mmopen.utils.launch import resolve_checkpoint, unique_experiment_name


def _touch(path):
    path.write_bytes(b'x')
    return str(path)


def test_best_with_one_key_and_with_several(tmp_path):
    one = tmp_path / 'one'
    one.mkdir()
    only = _touch(one / 'best_osdg_known_acc_epoch_4.pth')
    assert resolve_checkpoint(f'best:{one}') == only
    assert resolve_checkpoint(f'best_osdg_known_acc:{one}') == only
    two = tmp_path / 'two'
    two.mkdir()
    h = _touch(two / 'best_osdg_hscore_epoch_6.pth')
    k = _touch(two / 'best_osdg_known_acc_epoch_12.pth')
    with pytest.raises(SystemExit, match='best checkpoints of 2 keys.*best_osdg_hscore:'):
        resolve_checkpoint(f'best:{two}')
    assert resolve_checkpoint(f'best_osdg_hscore:{two}') == h
    assert resolve_checkpoint(f'best_osdg_known_acc:{two}') == k
    with pytest.raises(SystemExit, match=r'No best_mIoU_\*\.pth.*found: best_osdg_hscore'):
        resolve_checkpoint(f'best_mIoU:{two}')
    with pytest.raises(SystemExit, match='No best_'):
        resolve_checkpoint(f'best:{tmp_path}')
    assert resolve_checkpoint('none') is None
    assert resolve_checkpoint(h) == h
    with pytest.raises(SystemExit, match='does not exist'):
        resolve_checkpoint(os.path.join(str(tmp_path), 'missing.pth'))


def test_last_names_the_marker_file(tmp_path):
    ckpt = _touch(tmp_path / 'iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(ckpt)
    assert resolve_checkpoint(f'last:{tmp_path}') == ckpt
    with pytest.raises(SystemExit, match='last_checkpoint does not exist'):
        resolve_checkpoint(f'last:{tmp_path / "nowhere"}')


def test_a_second_runner_of_one_config_in_one_second_gets_its_own_name(monkeypatch, tmp_path):
    """MMEngine names a runner's logger, message hub and visualizer <config>_<timestamp>: a second
    runner of the same config in the same second would share the first one's."""
    import time

    from mmengine.config import Config
    from mmengine.logging import MMLogger
    monkeypatch.setattr(time, 'strftime', lambda fmt, t=None: '20260101_000000')
    path = tmp_path / 'my_config.py'
    path.write_text('a = 1\n')
    cfg = Config.fromfile(str(path))
    assert unique_experiment_name(cfg) is None  # nothing taken: MMEngine's own name
    MMLogger.get_instance('my_config_20260101_000000')
    assert unique_experiment_name(cfg) == 'my_config_2'
    MMLogger.get_instance('my_config_2_20260101_000000')
    assert unique_experiment_name(cfg) == 'my_config_3'
