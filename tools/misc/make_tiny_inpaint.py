"""Write a tiny Stable-Diffusion-2-inpainting-compatible model folder (UNet, VAE, CLIP text
encoder, tokenizer, DDIM scheduler) for SynOOD's and SeeCLIP's tests and quickstart; with
``--pretrain-on``, its VAE and UNet are first trained on the images of one or more quickstart
data folders (the classification images of ``data/quickstart``, the shapes in four styles of
``data/quickstart/osdg``; see :mod:`mmopen.quickstart.tiny_diffusion`). The folder is what a real
release looks like, so SynOOD and SeeCLIP load it with ``from_pretrained(PATH)`` like real
weights.

    python tools/misc/make_tiny_inpaint.py --out data/quickstart/tiny_inpaint \\
        [--pretrain-on data/quickstart data/quickstart/osdg] [--vae-steps N] [--unet-steps N]
        [--seed 0] [--force]

An existing folder made the same way (``OUT/mmopen_tiny.json`` records how) is kept.
"""
import argparse
import os.path as osp
import sys

import mmopen  # noqa: E402,F401  (compatibility fixes first)
from mmopen.quickstart.tiny_diffusion import (RECIPE_VERSION, UNET_STEPS, VAE_STEPS,
                                              quickstart_pairs, write_tiny_inpaint)
from mmopen.utils.io import read_json_if_exists as _read_json


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--pretrain-on', metavar='DATA', nargs='+',
                        help='train the VAE and UNet on the quickstart data in these folders '
                        'first')
    parser.add_argument('--vae-steps', type=int, default=VAE_STEPS)
    parser.add_argument('--unet-steps', type=int, default=UNET_STEPS)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true', help='replace an existing folder')
    args = parser.parse_args(argv)
    data = None
    if args.pretrain_on:
        data = [_read_json(osp.join(d, 'manifest.json')) for d in args.pretrain_on]
        missing = [d for d, m in zip(args.pretrain_on, data) if m is None]
        if missing:
            raise SystemExit(f'{missing} hold no manifest.json: write the quickstart data there '
                             'first (tools/misc/make_quickstart_data.py, '
                             'make_osdg_quickstart_data.py).')
    recipe = dict(version=RECIPE_VERSION, seed=args.seed, data=data,
                  vae_steps=args.vae_steps if data else 0,
                  unet_steps=args.unet_steps if data else 0)
    recipe_path = osp.join(args.out, 'mmopen_recipe.json')
    if osp.isdir(args.out) and not args.force:
        if _read_json(recipe_path) == recipe:
            print(f'{args.out} exists, made the same way: nothing to do (--force replaces it).')
            return 0
        print(f'{args.out} was made from other data or settings: rewriting it.')
    images = prompts = None
    if args.pretrain_on:
        images, prompts = [], []
        for folder in args.pretrain_on:
            more_images, more_prompts = quickstart_pairs(folder)
            images += more_images
            prompts += more_prompts
        print(f'Pre-training the tiny inpainting model on {len(images)} quickstart images ...')
    write_tiny_inpaint(args.out, images, prompts, seed=args.seed,
                       extra_files={'mmopen_recipe.json': recipe},
                       **(dict(vae_steps=args.vae_steps, unet_steps=args.unet_steps)
                          if images is not None else {}))
    print(f'Wrote a tiny SD-2-inpainting-compatible folder to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
