"""Semantic similarity of test vocabularies to the training vocabulary (OVSNet paper, Table 1
and Fig. 1a): per dataset, mean / median / min / max over its classes of the class's best CLIP
text similarity to any training class; a histogram PNG of the distributions.

    python tools/analysis/semantic_similarity.py --clip-model ViT-L-14 --clip-weights W.bin \\
        --train coco_panoptic_133 --test ade_150 ade_847 pascal_context_59 pascal_context_459 \\
        voc_20 [my_vocab.txt ...] [--plot sim.png] [--json sim.json]
"""
import argparse
import os.path as osp
import sys

from mmopen.clip import FrozenCLIP
from mmopen.ovs import max_similarity, similarity_summary
from mmopen.utils.io import save_figure_atomic, write_json_atomic


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--clip-model', required=True)
    p.add_argument('--clip-weights', help='local CLIP weight file (omit only for tests)')
    p.add_argument('--train', default='coco_panoptic_133', help='training vocabulary')
    p.add_argument('--test', nargs='+', required=True, help='test vocabularies (names/files)')
    p.add_argument('--templates', default='vild')
    p.add_argument('--plot', help='write the histogram to this PNG')
    p.add_argument('--json', help='write the numbers to this JSON file')
    args = p.parse_args(argv)
    from prettytable import PrettyTable
    clip = FrozenCLIP(args.clip_model, args.clip_weights)
    train = clip.text_embeddings(args.train, args.templates)
    table = PrettyTable(['dataset', 'classes', 'mean', 'median', 'min', 'max'])
    results, values = {}, {}
    for vocab in args.test:
        name = osp.splitext(osp.basename(vocab))[0]
        sims = max_similarity(clip.text_embeddings(vocab, args.templates), train)
        values[name] = sims.tolist()
        results[name] = dict(similarity_summary(values[name]), classes=len(values[name]))
        r = results[name]
        table.add_row([name, r['classes']] + [f'{r[k]:.3f}' for k in
                                              ('mean', 'median', 'min', 'max')])
    print(f'Max CLIP text similarity of each test class to {args.train} '
          f'({args.clip_model}, templates {args.templates}):')
    print(table)
    if args.json:
        write_json_atomic(dict(summary=results, per_class=values), args.json)
    if args.plot:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, v in values.items():
            ax.hist(v, bins=30, alpha=0.5, density=True, label=name)
        ax.set_xlabel(f'max similarity to {args.train}')
        ax.set_ylabel('density')
        ax.legend()
        save_figure_atomic(fig, args.plot, dpi=120)
        print(f'wrote {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
