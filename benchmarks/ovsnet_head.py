"""Benchmark: the OVSNet head at the base config's real dimensions (ConvNeXt-B widths,
512x512 input, 100 queries, random weights), all measured in one run.

    python benchmarks/ovsnet_head.py [--size 512] [--repeats 3]

Prints:
1. GFA's share of the head's forward time, at 100 and at 250 queries;
2. the head's training-step time (forward + loss + backward, mask pooling and GFA included)
   relative to mmseg's stock ``Mask2FormerHead`` of the same size (same pixel decoder,
   decoder, queries, losses);
3. whole-model inference (frozen convnext_base_w CLIP + head, ``OVSEncoderDecoder``) with an
   847-class versus a 150-class vocabulary: time and peak memory, each in a fresh process and
   warm: the vocabulary is encoded into the head first and one untimed inference runs before
   the timed ones (text encoding and first-call allocations are not inference). Peak memory is
   the peak resident set size during the timed calls (reset just before them with Linux's
   ``/proc/self/clear_refs``) minus the resident size before them, against the size of one
   847-channel full-resolution float map.
"""
import argparse
import copy
import gc
import json
import os.path as osp
import subprocess
import sys
import time

import torch
from timing import median_times

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'configs', 'ovsnet', '_base_',
                  'models', 'ovsnet_clip-convnext-b.py')
STRIDES = (4, 8, 16, 32)
CHANNELS = (128, 256, 512, 1024)


_CLIP = []


def shared_clip():
    """One random convnext_base_w CLIP for every head built here (what OVSEncoderDecoder hands
    to the head: its text tower and its image head for mask pooling)."""
    if not _CLIP:
        from mmopen.clip import FrozenCLIP
        _CLIP.append(FrozenCLIP('convnext_base_w', None, cache_dir=False))
    return _CLIP[0]


def head_cfg(queries, vocab='ade_150'):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    head = copy.deepcopy(cfg.model.decode_head)
    head.num_queries = queries
    head.text_encoder = dict(model_name='convnext_base_w', weights=None)
    head.vocabulary = vocab
    head.templates = 'simple'
    return head


def build_head(cfg):
    from mmseg.registry import MODELS
    head = MODELS.build(cfg)
    head.share_clip(shared_clip())
    return head


def features(batch, size, seed=0):
    """The backbone's outputs: four levels, then the last level again as the pooling map."""
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, c, size // s, size // s, generator=g)
             for c, s in zip(CHANNELS, STRIDES)]
    return feats, feats[-1]


def samples(batch, size, num_classes, seed=0):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(batch):
        # 8 classes in blocks, as a real image would have a handful of regions
        label = torch.randint(0, num_classes, (8, ), generator=g)[
            torch.arange(size).div(size / 8, rounding_mode='floor').long()]
        label = label[None, :].expand(size, size).clone()
        s = SegDataSample(gt_sem_seg=PixelData(data=label[None]))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size),
                            ori_shape=(size, size), padding_size=[0, 0, 0, 0]))
        out.append(s)
    return out


def gfa_share(size, queries, repeats):
    import mmopen.models.decode_heads.ovsnet_head as head_mod
    head = build_head(head_cfg(queries)).eval()
    feats, emb = features(1, size)
    spent = [0.0]
    real_gfa = head_mod.gfa

    def timed_gfa(*a, **k):
        t = time.perf_counter()
        out = real_gfa(*a, **k)
        spent[0] += time.perf_counter() - t
        return out

    head_mod.gfa = timed_gfa
    try:
        with torch.no_grad():
            head(feats + [emb], samples(1, size, 150))  # warm-up
            totals, gfas = [], []
            for _ in range(repeats):
                spent[0] = 0.0
                t = time.perf_counter()
                head(feats + [emb], samples(1, size, 150))
                totals.append(time.perf_counter() - t)
                gfas.append(spent[0])
    finally:
        head_mod.gfa = real_gfa
    i = sorted(range(repeats), key=lambda j: totals[j])[repeats // 2]
    return gfas[i] / totals[i], totals[i]


def train_step_ratio(size, repeats):
    from mmseg.registry import MODELS
    ovs_cfg = head_cfg(100)
    ovs = build_head(ovs_cfg).train()
    stock_cfg = copy.deepcopy(ovs_cfg)
    for key in ('text_encoder', 'vocabulary', 'templates', 'fusion', 'gfa_cfg',
                'mask_pooling', 'no_object', 'loss_proxy'):
        stock_cfg.pop(key, None)
    stock_cfg.type = 'Mask2FormerHead'
    stock_cfg.num_classes = 150
    stock_cfg.loss_cls = dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                              loss_weight=2.0, reduction='mean',
                              class_weight=[1.0] * 150 + [0.1])
    stock = MODELS.build(stock_cfg).train()
    feats, emb = features(2, size)
    data = samples(2, size, 150)

    def step(head, x):
        torch.manual_seed(0)
        losses = head.loss(x, data, {})
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        head.zero_grad(set_to_none=True)

    t_stock, t_ovs = median_times([lambda: step(stock, feats), lambda: step(ovs, feats + [emb])],
                                  repeats)
    return t_ovs / t_stock, t_stock, t_ovs


def _status_kb(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{key} not in /proc/self/status')


def _reset_peak_rss():
    """Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM)."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def measure_inference(size, vocab, repeats):
    """Run in a fresh process: time and peak-memory growth of whole-model inference."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.weights = None
    cfg.model.decode_head.templates = 'simple'
    cfg.model.decode_head.test_vocabulary = vocab
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    meta = dict(img_shape=(size, size), pad_shape=(size, size), ori_shape=(size, size),
                padding_size=[0, 0, 0, 0])
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        model.decode_head.text.set_test_vocabulary(vocab)  # text encoding is not inference
        model.predict(x, [SegDataSample(metainfo=meta)])  # warm-up
        gc.collect()
        before = _status_kb('VmRSS')
        _reset_peak_rss()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            model.predict(x, [SegDataSample(metainfo=meta)])
            times.append(time.perf_counter() - t)
        peak = _status_kb('VmHWM')
    times.sort()
    return dict(time=times[len(times) // 2], peak_growth_mb=(peak - before) / 1024)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--size', type=int, default=512)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--skip-inference', action='store_true')
    p.add_argument('--measure-inference', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    from mmengine.registry import init_default_scope

    import mmopen  # noqa: F401
    init_default_scope('mmseg')
    torch.manual_seed(0)
    if args.measure_inference:
        print(json.dumps(measure_inference(args.size, args.measure_inference, args.repeats)))
        return 0
    print(f'OVSNet head, ConvNeXt-B widths {CHANNELS}, {args.size}x{args.size} input, '
          f'{torch.get_num_threads()} threads, median of {args.repeats}:')
    for q in (100, 250):
        share, total = gfa_share(args.size, q, args.repeats)
        print(f'  GFA share of the head forward, {q} queries: {100 * share:.2f}% '
              f'(head forward {total * 1e3:.0f} ms)')
    ratio, t_stock, t_ovs = train_step_ratio(args.size, args.repeats)
    print(f'  training step: stock Mask2FormerHead {t_stock * 1e3:.0f} ms, OVSNetHead '
          f'{t_ovs * 1e3:.0f} ms, ratio {ratio:.2f}x')
    if args.skip_inference:
        return 0
    res = {}
    for vocab in ('ade_150', 'ade_847'):
        out = subprocess.run([sys.executable, __file__, '--size', str(args.size), '--repeats',
                              str(args.repeats), '--measure-inference', vocab],
                             capture_output=True, text=True, check=True)
        res[vocab] = json.loads(out.stdout.strip().splitlines()[-1])
    full_map_mb = 847 * args.size * args.size * 4 / 2**20
    a, b = res['ade_150'], res['ade_847']
    print(f'  whole-model inference: 150 classes {a["time"] * 1e3:.0f} ms, 847 classes '
          f'{b["time"] * 1e3:.0f} ms, ratio {b["time"] / a["time"]:.2f}x')
    print(f'  peak memory growth during inference: 150 classes {a["peak_growth_mb"]:.0f} MB, '
          f'847 classes {b["peak_growth_mb"]:.0f} MB; difference '
          f'{b["peak_growth_mb"] - a["peak_growth_mb"]:.0f} MB vs one 847-channel '
          f'full-resolution map {full_map_mb:.0f} MB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
