"""OOD metrics from saved scores, in both conventions.

    python tools/ood/eval_scores.py ID_SCORES OOD_SCORES [OOD_SCORES ...] \\
        [--json out.json] [--plot out_dir] [--names iNat SUN ...] [--csv F] [--markdown F]
    python tools/ood/eval_scores.py SCORES_DIR [--json ...] [--csv F] [--markdown F]

``SCORES_DIR`` is a folder written by ``tools/test.py --save-scores DIR``: every score and set it
holds is evaluated with the groups, conventions and recall level of the run that saved it,
which reproduces that run's metrics bit for bit. ``--csv`` / ``--markdown`` write leaderboard
rows (one per score x OOD set x convention, with ``--model`` / ``--config``, by default those
recorded in the folder, and the git commit).

Score files are ``.npy`` arrays or text files (numbers separated by whitespace or newlines);
higher = more in-distribution (pass ``--negate`` for scores where lower means ID). Prints AUROC,
AUPR-In, AUPR-Out and FPR@95 (x100) per OOD set and their average, under the ``hendrycks``
(ID positive) and ``openood`` (OOD positive) conventions. ``--json`` writes the numbers for
machines; ``--plot`` writes ROC curves and score histograms as PNG.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from mmopen.ood import CONVENTIONS, format_tables, summarize
from mmopen.ood.leaderboard import git_commit, leaderboard_rows, set_kinds, write_leaderboard
from mmopen.ood.metrics import check_recall_level
from mmopen.ood.score_files import load_scores as load_score_folder
from mmopen.utils.io import check_writable_file, save_figure_atomic, write_json_atomic


def load_scores(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise SystemExit(f'Score file {path!r} does not exist.')
    try:
        if path.endswith('.npy'):
            arr = np.load(path, allow_pickle=False)
        else:
            with open(path) as f:
                arr = np.array(f.read().split(), dtype=np.float64)
    except ValueError as e:
        raise SystemExit(f'Could not read scores from {path!r}: {e}. Expected a .npy array or '
                         'a text file of numbers.') from None
    return np.asarray(arr, dtype=np.float64).ravel()


def compute(id_scores, ood, recall_level=0.95, name='scores'):
    """``{'scores/set/conv/metric': value x100}`` for each OOD set and the average (the
    metric's own :func:`mmopen.ood.summarize`)."""
    try:
        return summarize({name: id_scores}, {s: {name: v} for s, v in ood.items()},
                         recall_level=recall_level)
    except ValueError as e:
        raise SystemExit(str(e)) from None


def plot(id_scores, ood, out_dir):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    os.makedirs(out_dir, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, scores in ood.items():
        y = np.r_[np.ones(id_scores.size), np.zeros(scores.size)]
        fpr, tpr, _ = roc_curve(y, np.r_[id_scores, scores])
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], 'k:', lw=0.8)
    ax.axhline(0.95, color='grey', lw=0.6, ls='--')
    ax.set_xlabel('FPR (OOD accepted)')
    ax.set_ylabel('TPR (ID recall)')
    ax.set_title('ROC, ID positive')
    ax.legend(loc='lower right')
    path = osp.join(out_dir, 'roc.png')
    save_figure_atomic(fig, path, dpi=120)
    plt.close(fig)
    written.append(path)
    for name, scores in ood.items():
        fig, ax = plt.subplots(figsize=(6, 4))
        lo = min(id_scores.min(), scores.min())
        hi = max(id_scores.max(), scores.max())
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 60)
        ax.hist(id_scores, bins=bins, alpha=0.6, density=True, label='ID')
        ax.hist(scores, bins=bins, alpha=0.6, density=True, label=name)
        ax.set_xlabel('score (higher = ID)')
        ax.set_ylabel('density')
        ax.legend()
        safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)
        path = osp.join(out_dir, f'hist_{safe}.png')
        save_figure_atomic(fig, path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written


def from_folder(path, recall_level=None):
    """Metrics of a ``--save-scores`` folder, as the run that wrote it configured them."""
    try:
        saved = load_score_folder(path)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    metrics = summarize(saved['id_scores'], saved['ood_scores'], saved['groups'],
                        saved['conventions'] or CONVENTIONS,
                        saved['recall_level'] if recall_level is None else recall_level)
    return saved, metrics


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='OOD metrics from saved score files.')
    p.add_argument('id_scores', help='ID score file, or a folder from tools/test.py '
                   '--save-scores')
    p.add_argument('ood_scores', nargs='*')
    p.add_argument('--names', nargs='+', help='names of the OOD sets (default: file names)')
    p.add_argument('--negate', action='store_true', help='lower score = more ID')
    p.add_argument('--recall-level', type=float, default=None,
                   help='TPR of FPR@TPR (default 0.95, or the saved run\'s)')
    p.add_argument('--csv', help='leaderboard rows (score x OOD set x convention) as CSV')
    p.add_argument('--markdown', help='the same as Markdown tables')
    p.add_argument('--model', help='model name for the leaderboard rows')
    p.add_argument('--config', help='config name for the leaderboard rows')
    p.add_argument('--json', help='write the metrics to this JSON file')
    p.add_argument('--plot', metavar='DIR', help='write roc.png and hist_<set>.png here')
    args = p.parse_args(argv)
    if args.recall_level is not None:
        try:
            check_recall_level(args.recall_level)
        except ValueError as e:
            raise SystemExit(f'--recall-level: {e}') from None
    for flag in ('json', 'csv', 'markdown'):
        check_writable_file(getattr(args, flag), f'--{flag}')
    if osp.isdir(args.id_scores):
        if args.ood_scores or args.names or args.negate or args.plot:
            raise SystemExit('A score folder is evaluated as saved: give no score files, '
                             '--names, --negate or --plot with it.')
        saved, metrics = from_folder(args.id_scores, args.recall_level)
        info = saved.get('info', {})
        n_id = [v.size for v in saved['id_scores'].values() if hasattr(v, 'size')]
        n_id = f'{n_id[0]} samples' if n_id else 'per-stream samples only'
        print(f'{args.id_scores}: {len(saved["scores"])} scores, ID set {saved["id_set"]} '
              f'({n_id}), OOD sets ' + ', '.join(
                  f'{s} {next(iter(v.values())).size}' for s, v in saved['ood_scores'].items()))
        kinds = set_kinds(saved['ood_sets'], saved['groups'])
        model = args.model or info.get('model', '')
        config = args.config or info.get('config', '')
        commit = info.get('commit', '')  # the code that produced the scores
        return report(args, metrics, leaderboard_rows(metrics, model, config, commit, kinds))
    if not args.ood_scores:
        raise SystemExit('Give at least one OOD score file after the ID score file (or a '
                         'score folder from tools/test.py --save-scores).')
    names = args.names or [osp.splitext(osp.basename(f))[0] for f in args.ood_scores]
    if len(names) != len(args.ood_scores):
        raise SystemExit(f'--names gives {len(names)} names for {len(args.ood_scores)} files.')
    if len(set(names)) != len(names):
        raise SystemExit(f'OOD set names must be unique: {names} (use --names).')
    sign = -1.0 if args.negate else 1.0
    id_scores = sign * load_scores(args.id_scores)
    ood = {n: sign * load_scores(f) for n, f in zip(names, args.ood_scores)}
    metrics = compute(id_scores, ood,
                      0.95 if args.recall_level is None else args.recall_level)
    print(f'ID: {id_scores.size} scores; OOD: ' +
          ', '.join(f'{n} {s.size}' for n, s in ood.items()))
    rows = leaderboard_rows(metrics, args.model or '', args.config or '', git_commit(),
                            set_kinds(names, None))
    report(args, metrics, rows)
    if args.plot:
        for path in plot(id_scores, ood, args.plot):
            print(f'wrote {path}')
    return 0


def report(args, metrics, rows) -> int:
    if args.json:
        write_json_atomic(metrics, args.json)
    for conv, table in format_tables(metrics).items():
        print(f'\n{conv} convention (x100):\n{table}')
    write_leaderboard(rows, args.csv, args.markdown)
    for path in (args.csv, args.markdown):
        if path:
            print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
