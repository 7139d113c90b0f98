"""Leaderboard rows: OOD results as CSV or Markdown, one row per (score, OOD set, convention).

Rows come from :func:`mmopen.ood.summarize`-style keys (``{score}/{set}/{convention}/{metric}``)
and carry what a leaderboard needs to tell results apart: the model, the config and the git
commit of the code that produced them. ``set`` is an OOD set, ``average`` (over all OOD sets) or a
group (e.g. ``near`` / ``far``); the ``kind`` column says which. Files are written atomically.
"""
import csv
import io
import os.path as osp
import subprocess
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

from mmopen.utils.io import write_text_atomic
from .metrics import METRIC_NAMES
from .summary import LABELS, split_key

FIELDS = ('model', 'config', 'commit', 'score', 'ood_set', 'kind', 'convention') + METRIC_NAMES


def git_commit(path: Optional[str] = None) -> str:
    """The commit checked out at ``path`` (default: the mmopen source tree), with ``-dirty`` if
    tracked files changed; ``'unknown'`` outside a git work tree."""
    path = path or osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    try:
        commit = subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', '-C', path, 'status', '--porcelain',
                                '--untracked-files=no'], capture_output=True, text=True,
                               check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return commit + ('-dirty' if dirty else '')


def leaderboard_rows(metrics: Mapping[str, float],
                     model: str = '',
                     config: str = '',
                     commit: str = '',
                     kinds: Optional[Mapping[str, str]] = None) -> List[Dict[str, object]]:
    """One row per (score, OOD set, convention) of ``metrics``, in their order.

    ``kinds`` maps a set name to ``'set'`` / ``'average'`` / ``'group'``; by default ``average``
    is an average and every other name a set.
    """
    rows: Dict[tuple, Dict[str, object]] = OrderedDict()
    for key, value in metrics.items():
        parsed = split_key(key)
        if parsed is None:
            continue
        score, name, conv, m = parsed
        kind = (kinds or {}).get(name, 'average' if name == 'average' else 'set')
        row = rows.setdefault((score, name, conv), dict(
            model=model, config=config, commit=commit, score=score, ood_set=name, kind=kind,
            convention=conv))
        row[m] = float(value)
    return list(rows.values())


def set_kinds(ood_sets: Sequence[str], groups: Optional[Mapping[str, Sequence[str]]]) -> dict:
    kinds = {s: 'set' for s in ood_sets}
    kinds['average'] = 'average'
    kinds.update({g: 'group' for g in (groups or {})})
    return kinds


def to_csv(rows: Sequence[Mapping[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def to_markdown(rows: Sequence[Mapping[str, object]], digits: int = 2) -> str:
    """A Markdown table per convention: score x OOD set, the four metrics (x100)."""
    out = []
    by_conv: Dict[str, list] = OrderedDict()
    for row in rows:
        by_conv.setdefault(row['convention'], []).append(row)
    first = rows[0] if rows else {}
    if first:
        out.append(f'model: `{first["model"]}` · config: `{first["config"]}` · commit: '
                   f'`{first["commit"]}`\n')
    for conv, conv_rows in by_conv.items():
        out.append(f'**{conv}** convention (x100)\n')
        out.append('| score | OOD set | ' + ' | '.join(LABELS[m] for m in METRIC_NAMES) + ' |')
        out.append('|---|---|' + '---:|' * len(METRIC_NAMES))
        for row in conv_rows:
            name = row['ood_set'] if row['kind'] == 'set' else f'*{row["ood_set"]}*'
            vals = [f'{row[m]:.{digits}f}' if m in row else '-' for m in METRIC_NAMES]
            out.append(f'| {row["score"]} | {name} | ' + ' | '.join(vals) + ' |')
        out.append('')
    return '\n'.join(out)


def write_leaderboard(rows: Sequence[Mapping[str, object]], csv_path: Optional[str] = None,
                      markdown_path: Optional[str] = None) -> None:
    if csv_path:
        write_text_atomic(to_csv(rows), csv_path)
    if markdown_path:
        write_text_atomic(to_markdown(rows), markdown_path)
