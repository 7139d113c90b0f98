"""Atomic writes: every file and folder mmopen writes goes to a temporary name next to its
destination and is renamed into place only once it is complete, so an interrupted run never
leaves a half-written output behind (a rename within one file system is atomic).

:func:`atomic_path` is the one primitive; the helpers below it are conveniences over it.
"""
import contextlib
import json
import os
import os.path as osp
import shutil
from typing import Any, Iterator


@contextlib.contextmanager
def atomic_path(path: str, is_dir: bool = False, suffix: str = '') -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success rename it to ``path`` (replacing a
    file, or for ``is_dir=True`` a folder, that was there), on failure remove it.

    Args:
        path: the destination.
        is_dir: the caller writes a folder (it is created empty); otherwise a file.
        suffix: appended to the temporary name, for writers that pick the format from the
            extension (``savefig``, ``safetensors``).
    """
    path = osp.abspath(path)
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.tmp-{os.getpid()}{suffix}')
    _remove(tmp)
    if is_dir:
        os.makedirs(tmp)
    try:
        yield tmp
        if is_dir and osp.isdir(path):
            # a folder cannot be replaced in one step: move the old one aside first
            old = tmp + '.old'
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        _remove(tmp)


def check_writable_file(path, what: str = 'output') -> None:
    """Refuse, before any work, an output file that cannot be written: a folder, a file without
    write permission, or a folder to create under one without it. ``None`` passes. Raises
    ``SystemExit`` naming ``what`` (the option) and the path."""
    if path is None:
        return
    full = osp.abspath(path)
    if osp.isdir(full):
        raise SystemExit(f'{what} {path!r} is a folder: give a file name, e.g. '
                         f'{osp.join(path, "metrics.json")!r}.')
    if osp.exists(full):
        if not os.access(full, os.W_OK):
            raise SystemExit(f'{what} {path!r} exists and is not writable: choose another '
                             'file or change its permissions.')
        return
    parent = osp.dirname(full)
    while not osp.exists(parent):
        parent = osp.dirname(parent)
    if not osp.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise SystemExit(f'{what} {path!r} cannot be written: {parent!r} is not a writable '
                         'folder. Choose a path in a folder you can write to.')


def check_writable_folder(path, what: str = 'output folder') -> None:
    """As :func:`check_writable_file` for an output folder: an existing file, or a place
    without write permission, is refused before any work."""
    if path is None:
        return
    full = osp.abspath(path)
    if osp.exists(full) and not osp.isdir(full):
        raise SystemExit(f'{what} {path!r} is a file, not a folder: choose a folder name.')
    probe = full
    while not osp.exists(probe):
        probe = osp.dirname(probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SystemExit(f'{what} {path!r} cannot be written ({probe!r} is not writable): '
                         'choose a folder you can write to.')


def _remove(path: str) -> None:
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif osp.lexists(path):
        os.remove(path)


def write_text_atomic(text: str, path: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)


def read_json_if_exists(path: str) -> Any:
    """The JSON object in ``path``, or ``None`` when there is no such file."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_json_atomic(obj: Any, path: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1)


def save_figure_atomic(fig, path: str, **kwargs) -> None:
    """Lay ``fig`` out tightly and save it (``fig.savefig(**kwargs)``) to a temporary file with
    ``path``'s extension, then rename."""
    fig.tight_layout()
    with atomic_path(path, suffix=osp.splitext(path)[1]) as tmp:
        fig.savefig(tmp, **kwargs)
