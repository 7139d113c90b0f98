"""OOD result tables: every score on every OOD set, their average and named groups, in each
convention, as one flat dictionary, and its text tables.

:func:`summarize` is the one place these numbers are computed; ``OODMetric`` (a test run) and
``tools/ood/eval_scores.py`` (saved score files) both call it. Keys are
``{score}/{set}/{convention}/{metric}`` (x100) with ``set`` an OOD set, ``average`` (over all OOD
sets) or a group name (e.g. OpenOOD v1.5's ``near`` / ``far``); a group value is the mean of its
sets' values, as papers report.
"""
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from .metrics import CONVENTIONS, METRIC_NAMES, ood_metrics

LABELS = dict(AUROC='AUROC', AUPR_IN='AUPR-In', AUPR_OUT='AUPR-Out', FPR95='FPR@95')


def check_conventions(conventions: Sequence[str]) -> tuple:
    bad = set(conventions) - set(CONVENTIONS)
    if bad:
        raise ValueError(f'Unknown OOD metric conventions {sorted(bad)}: use {CONVENTIONS}.')
    return tuple(conventions)


def summarize(id_scores: Mapping[str, Sequence[float]],
              ood_scores: Mapping[str, Mapping[str, Sequence[float]]],
              groups: Optional[Mapping[str, Sequence[str]]] = None,
              conventions: Sequence[str] = CONVENTIONS,
              recall_level: float = 0.95) -> Dict[str, float]:
    """OOD metrics x100 for each score and OOD set, the average over the sets and each group.

    Args:
        id_scores: ``{score name: ID scores}`` (higher = more ID); for a test-time score whose
            ID scores depend on the OOD set they were streamed with (AdaNeg), ``{score name:
            {OOD set: ID scores}}``.
        ood_scores: ``{OOD set: {score name: scores}}``, every set with every score.
        groups: ``{group: [set, ...]}``; sets not evaluated are skipped, empty groups dropped.
        conventions: ``'hendrycks'`` and / or ``'openood'``.
    """
    conventions = check_conventions(conventions)
    if not ood_scores:
        raise ValueError('No OOD set to evaluate: OOD metrics need OOD scores.')
    sets = list(ood_scores)
    summaries = OrderedDict(average=sets)
    for name, members in (groups or {}).items():
        present = [s for s in members if s in ood_scores]
        if present:
            summaries[name] = present
    out: Dict[str, float] = OrderedDict()
    for score in id_scores:
        per_set = {}
        for s in sets:
            if score not in ood_scores[s]:
                raise KeyError(f'OOD set {s!r} has no {score!r} scores (it has '
                               f'{sorted(ood_scores[s])}).')
            ids = id_scores[score]
            if isinstance(ids, Mapping):
                if s not in ids:
                    raise KeyError(f'Score {score!r} has per-set ID scores but none for OOD set '
                                   f'{s!r} (it has {sorted(ids)}).')
                ids = ids[s]
            per_set[s] = ood_metrics(ids, ood_scores[s][score], recall_level)
        rows = [(s, [s]) for s in sets] + list(summaries.items())
        for name, members in rows:
            for conv in conventions:
                for m in METRIC_NAMES:
                    out[f'{score}/{name}/{conv}/{m}'] = 100.0 * float(
                        np.mean([per_set[s][conv][m] for s in members]))
    return out


def split_key(key: str):
    """``'NegLabel/SUN/hendrycks/AUROC'`` -> ``('NegLabel', 'SUN', 'hendrycks', 'AUROC')``;
    ``None`` for keys that are not OOD metrics."""
    parts = key.split('/')
    if len(parts) >= 4 and parts[-2] in CONVENTIONS and parts[-1] in METRIC_NAMES:
        return '/'.join(parts[:-3]), parts[-3], parts[-2], parts[-1]
    return None


def format_tables(metrics: Mapping[str, float]) -> Dict[str, str]:
    """One text table per convention (rows: score x OOD set; columns: the four metrics) from
    :func:`summarize`-style keys; other keys are ignored."""
    from prettytable import PrettyTable
    rows: Dict[str, Dict[tuple, Dict[str, float]]] = OrderedDict()
    for key, value in metrics.items():
        parsed = split_key(key)
        if parsed is None:
            continue
        score, name, conv, m = parsed
        rows.setdefault(conv, OrderedDict()).setdefault((score, name), {})[m] = value
    tables = OrderedDict()
    for conv, entries in rows.items():
        table = PrettyTable()
        table.field_names = ['score', 'OOD set'] + [LABELS[m] for m in METRIC_NAMES]
        for (score, name), vals in entries.items():
            table.add_row([score, name] + [f'{vals[m]:.2f}' if m in vals else '-'
                                           for m in METRIC_NAMES])
        tables[conv] = table.get_string()
    return tables
