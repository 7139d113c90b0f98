"""Progress bars where the wait is long: text embeddings (per chunk of prompts), negative-label
mining, SynOOD generation and SeeCLIP pseudo-unknowns.

A bar is drawn (tqdm, on stderr) only when stderr is a terminal and progress has not been
turned off: the tools' ``--no-progress`` sets ``MMOPEN_NO_PROGRESS=1`` for the process and
the processes it starts (dataloader workers, torchrun ranks), and a user can set it in the
shell. Logs and CI output therefore never carry bar redraws.
"""
import os
import sys
from typing import Optional

ENV = 'MMOPEN_NO_PROGRESS'


def show_progress(no_progress: bool = False, stream=None) -> bool:
    """Whether to draw a bar: not ``no_progress``, not ``MMOPEN_NO_PROGRESS``, and ``stream``
    (stderr) is a terminal."""
    if no_progress or os.environ.get(ENV, '') not in ('', '0'):
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, 'isatty', None)
    return bool(isatty and isatty())


def disable_progress(no_progress: bool) -> None:
    """A tool's ``--no-progress``: no bar in this process and the ones it starts."""
    if no_progress:
        os.environ[ENV] = '1'


class _NoBar:
    """What :func:`progress_bar` returns when no bar is drawn."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress_bar(total: int, desc: str, unit: str = 'it', enabled: Optional[bool] = None):
    """A tqdm bar of ``total`` steps on stderr, or an object with the same ``update`` /
    ``close`` / context-manager interface that draws nothing (``enabled`` defaults to
    :func:`show_progress`)."""
    if not (show_progress() if enabled is None else enabled):
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=False)
