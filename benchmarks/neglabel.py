"""Benchmark: NegLabel, CSP and AdaNeg versus a bare matmul of the same shapes.

    python benchmarks/neglabel.py [--batch 256] [--repeats 20]

1000 ID classes, 512-d CLIP features, 100 groups (AdaNeg: 5, its release's setting). Each row
is one score's time per batch as a ratio of the bare matmul ``features @ bank.T`` of its own
shapes, measured in the same run:

* NegLabel (10,000 negatives): what ``CLIPOODClassifier`` + ``NegLabelScore`` compute per batch:
  normalise the image features, one matmul against the [ID; negatives] text bank (whose
  negatives the classifier stored once in NegLabel's group order), the grouped score.
* CSP (``--csp-negatives``, default 12,000: CSP's pool adds ~2k conjugated labels to the 10k
  nouns of ImageNet): the same route over CSP's bank (CSP's score is NegLabel's formula).
* AdaNeg (10,000 negatives): ``mmopen.ood.adaneg_scores`` over a stream of
  ``--stream-batches`` batches from an empty memory (half the samples near an ID class, half
  near a negative label, as ID / OOD test images), per batch: its own matmul, the gate, the
  memory writes, the adaptive proxies' similarities and both grouped scores; the baseline is
  the bare matmul of the same batches. The number of proxies with a memory is printed.
"""
import argparse
import sys

import torch
import torch.nn.functional as F
from timing import median_times

from mmopen.models.ood.score_components import NegLabelScore
from mmopen.ood.adaneg import AdaNegMemory, adaneg_scores, grouped_bank


def grouped_route(feats, bank, c, groups, name):
    score = NegLabelScore(groups=groups, name=name)
    order = score.neg_order(bank.shape[0] - c)  # done once, when the classifier is built
    ordered = torch.cat([bank[:c], bank[c:][order]])

    def full():
        sims = F.normalize(feats, dim=-1) @ ordered.T
        return score(sims[:, :c], sims[:, c:], neg_ordered=True)

    return full


def stream_like(id_bank, neg_bank, n, gen, noise=0.5):
    """``n`` unit features: half near ID text embeddings, half near negative ones."""
    half = n // 2
    centres = torch.cat([id_bank[torch.randint(id_bank.shape[0], (half, ), generator=gen)],
                         neg_bank[torch.randint(neg_bank.shape[0], (n - half, ),
                                                generator=gen)]])
    x = centres + noise * torch.randn(centres.shape, generator=gen) / centres.shape[1]**0.5
    return F.normalize(x, dim=-1)[torch.randperm(n, generator=gen)]


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--classes', type=int, default=1000)
    p.add_argument('--negatives', type=int, default=10_000)
    p.add_argument('--csp-negatives', type=int, default=12_000)
    p.add_argument('--dim', type=int, default=512)
    p.add_argument('--groups', type=int, default=100)
    p.add_argument('--stream-batches', type=int, default=40)
    p.add_argument('--repeats', type=int, default=20)
    args = p.parse_args(argv)
    gen = torch.Generator().manual_seed(0)
    c, d = args.classes, args.dim
    feats = torch.randn(args.batch, d, generator=gen)
    bank = F.normalize(torch.randn(c + args.negatives, d, generator=gen), dim=-1)
    csp_bank = F.normalize(torch.randn(c + args.csp_negatives, d, generator=gen), dim=-1)
    rows = []
    with torch.no_grad():
        t_bare, t_nl = median_times([lambda: feats @ bank.T,
                                     grouped_route(feats, bank, c, args.groups, 'NegLabel')],
                                    args.repeats)
        rows.append(('NegLabel', args.negatives, t_bare, t_nl))
        t_bare, t_csp = median_times([lambda: feats @ csp_bank.T,
                                      grouped_route(feats, csp_bank, c, args.groups, 'CSP')],
                                     args.repeats)
        rows.append(('CSP', args.csp_negatives, t_bare, t_csp))

        # AdaNeg: a whole stream from an empty memory, per batch
        id_bank, neg_bank = bank[:c], bank[c:]
        settings = dict(tau=0.01, groups=5, seed=0, memory_size=10, threshold=0.5, gap=0.5,
                        lambda_vanilla=0.1, batch_size=args.batch)
        stream = stream_like(id_bank, neg_bank, args.batch * args.stream_batches, gen)
        memories = []

        def ada_stream():
            m = AdaNegMemory(id_bank, grouped_bank(neg_bank, 5, 0), settings['memory_size'])
            memories.append(m)
            return adaneg_scores(stream, id_bank, neg_bank, _memory=m, **settings)

        def bare_stream():
            for i in range(args.stream_batches):
                stream[i * args.batch:(i + 1) * args.batch] @ bank.T

        repeats = max(3, args.repeats // 5)
        t_bare, t_ada = median_times([bare_stream, ada_stream], repeats)
        rows.append(('AdaNeg', args.negatives, t_bare / args.stream_batches,
                     t_ada / args.stream_batches))
        m = memories[-1]
    filled = int((m.count > 0).sum())
    print(f'batch {args.batch}, {c} ID classes, {d}-d, {torch.get_num_threads()} threads, '
          f'median of {args.repeats}:')
    print(f'  {"score":<9} {"negatives":>9} {"matmul ms":>10} {"score ms":>9}  ratio')
    for name, n, bare, full in rows:
        print(f'  {name:<9} {n:>9} {bare * 1e3:10.2f} {full * 1e3:9.2f}  {full / bare:.2f}x')
    print(f'  (AdaNeg: per batch of a {args.stream_batches}-batch stream from an empty '
          f'memory, median of {max(3, args.repeats // 5)} streams, vs the same batches\' bare '
          f'matmuls; {filled} of {c + args.negatives} proxies had a memory at its end)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
