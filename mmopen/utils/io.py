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
