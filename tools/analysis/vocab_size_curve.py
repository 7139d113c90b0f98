"""mIoU as irrelevant classes are added to the vocabulary (OVSNet paper, Fig. 5), for any
open-vocabulary segmentation checkpoint.

    python tools/analysis/vocab_size_curve.py CONFIG CHECKPOINT --distractors ade_847 \\
        --steps 0 50 100 200 400 [--max-images 500] [--plot curve.png] [--json curve.json]

The evaluation set is the config's ``test_dataloader`` dataset; its own classes come first, then
the first ``k`` distractor classes (a vocabulary whose classes overlap none of the dataset's
names or synonyms). The mIoU is over the dataset's classes only, so it falls exactly by the
pixels lost to the distractors.
"""
import argparse
import sys

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help='checkpoint file or "none"')
    p.add_argument('--distractors', default='ade_847', help='vocabulary of irrelevant classes')
    p.add_argument('--steps', type=int, nargs='+', default=[0, 50, 100, 200, 400])
    p.add_argument('--max-images', type=int, default=0, help='0: the whole set')
    p.add_argument('--cfg-options', nargs='+', default=[])
    p.add_argument('--plot')
    p.add_argument('--json')
    p.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.apis import init_model
    from mmseg.evaluation import IoUMetric
    from mmseg.registry import DATASETS

    from mmopen.clip.text_classifier import text_classifiers
    from mmopen.clip.vocabularies import load_vocabulary
    from mmopen.compat import load_weights
    from mmopen.utils.io import save_figure_atomic, write_json_atomic
    cfg = Config.fromfile(args.config)
    for opt in args.cfg_options:
        key, value = opt.split('=', 1)
        cfg.merge_from_dict({key: value})
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = init_model(cfg, None, device=args.device)
    if args.checkpoint != 'none':  # a Runner's checkpoint: read under weights_only=True
        load_weights(model, args.checkpoint, map_location='cpu')
    heads = text_classifiers(model)
    if not heads:
        raise SystemExit(f'{args.config} has no open-vocabulary head.')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    meta = dataset.metainfo
    base = [list(v) for v in (meta.get('vocabulary') or [[c] for c in meta['classes']])]
    taken = {n.lower() for names in base for n in names}
    pool = [v for v in load_vocabulary(args.distractors)
            if not any(n.lower() in taken for n in v)]
    if max(args.steps) > len(pool):
        raise SystemExit(f'Only {len(pool)} distractor classes in {args.distractors} do not '
                         f'overlap the dataset; lower --steps.')
    ignore = cfg.get('test_evaluator', {}).get('ignore_index', 255)
    n = len(dataset) if args.max_images <= 0 else min(args.max_images, len(dataset))
    c = len(base)
    curve = {}
    for k in args.steps:
        for head in heads:
            head.set_test_vocabulary(base + pool[:k], override_config=True)
        inter = np.zeros(c)
        union = np.zeros(c)
        bar = ProgressBar(n)
        for i in range(n):
            data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
            with torch.no_grad():
                pred = model.predict(data['inputs'], data['data_samples'])[0]
            res = IoUMetric.intersect_and_union(pred.pred_sem_seg.data.squeeze().cpu(),
                                                pred.gt_sem_seg.data.squeeze().cpu(),
                                                c + k, ignore)
            inter += res[0].numpy()[:c]
            union += res[1].numpy()[:c]
            bar.update()
        sys.stdout.write('\n')
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = inter / union
        curve[k] = float(np.nanmean(iou) * 100)
        print(f'{c} + {k} classes: mIoU {curve[k]:.2f}')
    print('\nvocabulary size   mIoU (dataset classes)')
    for k, v in curve.items():
        print(f'{c + k:>15}   {v:6.2f}')
    if args.json:
        write_json_atomic({str(c + k): v for k, v in curve.items()}, args.json)
    if args.plot:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot([c + k for k in curve], list(curve.values()), 'o-')
        ax.set_xlabel('vocabulary size')
        ax.set_ylabel(f'mIoU over the {c} dataset classes')
        save_figure_atomic(fig, args.plot, dpi=120)
        print(f'wrote {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
