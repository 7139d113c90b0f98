"""Benchmark: the full NegLabel score versus a bare matmul of the same shapes.

    python benchmarks/neglabel.py [--batch 256] [--repeats 20]

1000 ID classes + 10,000 negative labels, 512-d CLIP features, 100 groups. The NegLabel route
is what ``CLIPOODClassifier`` + ``NegLabelScore`` compute per batch: normalise the image
features, one matmul against the [ID; negatives] text bank (whose negatives the classifier
stored once in NegLabel's group order), then the grouped score (``mmopen.ood.neglabel``). The baseline is the bare matmul ``features @ bank.T``. Prints both
times (median) and the ratio.
"""
import argparse
import os.path as osp
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from timing import median_times  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--classes', type=int, default=1000)
    p.add_argument('--negatives', type=int, default=10_000)
    p.add_argument('--dim', type=int, default=512)
    p.add_argument('--groups', type=int, default=100)
    p.add_argument('--repeats', type=int, default=20)
    args = p.parse_args(argv)
    from mmopen.models.ood.score_components import NegLabelScore
    torch.manual_seed(0)
    feats = torch.randn(args.batch, args.dim)
    bank = F.normalize(torch.randn(args.classes + args.negatives, args.dim), dim=-1)
    c = args.classes
    score = NegLabelScore(groups=args.groups)
    order = score.neg_order(args.negatives)  # done once, when the classifier is built
    ordered_bank = torch.cat([bank[:c], bank[c:][order]])

    def bare():
        return feats @ bank.T

    def full():
        sims = F.normalize(feats, dim=-1) @ ordered_bank.T
        return score(sims[:, :c], sims[:, c:], neg_ordered=True)

    with torch.no_grad():
        t_bare, t_full = median_times([bare, full], args.repeats)
    print(f'batch {args.batch}, {c} ID + {args.negatives} negatives, {args.dim}-d, '
          f'{args.groups} groups, {torch.get_num_threads()} threads, median of {args.repeats}:')
    print(f'  bare matmul      {t_bare * 1e3:8.2f} ms')
    print(f'  NegLabel score   {t_full * 1e3:8.2f} ms')
    print(f'  ratio (NegLabel / matmul) = {t_full / t_bare:.2f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main())
