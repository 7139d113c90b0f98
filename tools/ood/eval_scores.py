"""OOD metrics from saved scores, in both conventions.

    python tools/ood/eval_scores.py ID_SCORES OOD_SCORES [OOD_SCORES ...] \\
        [--json out.json] [--plot out_dir] [--names iNat SUN ...]

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

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))


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
    from mmopen.ood import summarize
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

    from mmopen.utils.io import save_figure_atomic
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='OOD metrics from saved score files.')
    p.add_argument('id_scores')
    p.add_argument('ood_scores', nargs='+')
    p.add_argument('--names', nargs='+', help='names of the OOD sets (default: file names)')
    p.add_argument('--negate', action='store_true', help='lower score = more ID')
    p.add_argument('--recall-level', type=float, default=0.95)
    p.add_argument('--json', help='write the metrics to this JSON file')
    p.add_argument('--plot', metavar='DIR', help='write roc.png and hist_<set>.png here')
    args = p.parse_args(argv)
    names = args.names or [osp.splitext(osp.basename(f))[0] for f in args.ood_scores]
    if len(names) != len(args.ood_scores):
        raise SystemExit(f'--names gives {len(names)} names for {len(args.ood_scores)} files.')
    if len(set(names)) != len(names):
        raise SystemExit(f'OOD set names must be unique: {names} (use --names).')
    sign = -1.0 if args.negate else 1.0
    id_scores = sign * load_scores(args.id_scores)
    ood = {n: sign * load_scores(f) for n, f in zip(names, args.ood_scores)}
    metrics = compute(id_scores, ood, args.recall_level)

    from mmopen.ood import format_tables
    from mmopen.utils.io import write_json_atomic
    if args.json:
        write_json_atomic(metrics, args.json)
    print(f'ID: {id_scores.size} scores; OOD: ' +
          ', '.join(f'{n} {s.size}' for n, s in ood.items()))
    for conv, table in format_tables(metrics).items():
        print(f'\n{conv} convention (x100):\n{table}')
    if args.plot:
        for path in plot(id_scores, ood, args.plot):
            print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
