"""Open-vocabulary segmentation of one image with a free-text class list.

    python demo/image_demo.py IMAGE CONFIG CHECKPOINT --classes "cat, kitty" dog grass \\
        [--vocabulary FILE] [--out result.png] [--device cpu]

Each ``--classes`` argument is one class (synonyms separated by ", "); ``--vocabulary`` reads
them from a file instead. Writes the image blended with a coloured mask and a legend.
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('image')
    p.add_argument('config')
    p.add_argument('checkpoint', help='checkpoint file or "none"')
    p.add_argument('--classes', nargs='+', help='class names ("sofa, couch" for synonyms)')
    p.add_argument('--vocabulary', help='a vocabulary file or shipped vocabulary name')
    p.add_argument('--out', default='demo_result.png')
    p.add_argument('--opacity', type=float, default=0.6)
    p.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    if not (args.classes or args.vocabulary):
        raise SystemExit('Give the classes with --classes or --vocabulary.')
    if not osp.isfile(args.image):
        raise SystemExit(f'Image {args.image!r} does not exist.')
    import torch
    from mmengine.config import Config
    import mmopen  # noqa: F401  # isort: skip
    from mmseg.apis import inference_model, init_model

    from mmopen.clip.text_classifier import text_classifiers
    from mmopen.clip.vocabularies import load_vocabulary
    from mmopen.datasets.vocab_seg_dataset import vocabulary_palette
    vocab = load_vocabulary(args.vocabulary if args.vocabulary else args.classes)
    cfg = Config.fromfile(args.config)
    model = init_model(cfg, None if args.checkpoint == 'none' else args.checkpoint,
                       device=args.device)
    heads = text_classifiers(model)
    if not heads:
        raise SystemExit(f'{args.config} has no open-vocabulary head (e.g. OVSNetHead).')
    for head in heads:
        head.set_test_vocabulary(vocab, override_config=True)
    with torch.no_grad():
        result = inference_model(model, args.image)
    pred = result.pred_sem_seg.data[0].cpu().numpy()
    from PIL import Image
    img = np.asarray(Image.open(args.image).convert('RGB'))
    palette = np.array(vocabulary_palette(len(vocab)), np.uint8)
    blend = (img * (1 - args.opacity) + palette[pred] * args.opacity).astype(np.uint8)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    fig, ax = plt.subplots(figsize=(8, 8 * img.shape[0] / img.shape[1] + 0.5))
    ax.imshow(blend)
    ax.axis('off')
    present = [i for i in range(len(vocab)) if (pred == i).any()]
    ax.legend(handles=[Patch(color=palette[i] / 255, label=vocab[i][0]) for i in present],
              loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize=9)
    from mmopen.utils.io import save_figure_atomic
    save_figure_atomic(fig, args.out, dpi=100, bbox_inches='tight')
    print(f'{len(present)} of {len(vocab)} classes found; wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
