"""Atomic writes for tool outputs: write to a temporary name, then rename."""
import json
import os
import os.path as osp
from typing import Any


def _prepare(path: str) -> str:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    return f'{path}.{os.getpid()}.tmp'


def write_json_atomic(obj: Any, path: str) -> None:
    tmp = _prepare(path)
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def save_figure_atomic(fig, path: str, **kwargs) -> None:
    """``fig.savefig`` to a temporary PNG, then rename to ``path``."""
    tmp = _prepare(path) + '.png'
    fig.savefig(tmp, **kwargs)
    os.replace(tmp, path)
