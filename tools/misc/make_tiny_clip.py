"""Write a tiny CLIP weight file for tests and the quickstart (random-initialised, or
contrastively pre-trained on the quickstart data with ``--pretrain-on``).

The file is written in a real release format, so that loading it exercises exactly the code
path of real weights (``mmopen.clip.FrozenCLIP(model_name, weights=PATH)``):

* ``safetensors`` -- open_clip's ``open_clip_model.safetensors``,
* ``bin``         -- open_clip's ``open_clip_pytorch_model.bin`` (``torch.save`` of the state
  dict),
* ``openai-jit``  -- a TorchScript archive like OpenAI's released ``ViT-B-16.pt``,
* ``openai-state-dict`` -- an OpenAI-style state dict, with its ``input_resolution``,
  ``context_length`` and ``vocab_size`` entries.

The file is written to a temporary name and renamed, with what it was made from beside it
(``OUT.json``: model, format, seed, steps and the quickstart data's manifest). An existing file
is kept when it was made the same way, rewritten when not (new quickstart data, another seed),
and always replaced with ``--force``. Usage::

    python tools/misc/make_tiny_clip.py --out data/quickstart/tiny_clip_convnext.safetensors \\
        [--model mmopen-tiny-convnext] [--format safetensors] [--seed 0]
"""
import argparse
import os.path as osp
import sys

from mmopen.quickstart.tiny_clip import FORMATS, write_clip_file
from mmopen.utils.io import read_json_if_exists as _read_json
from mmopen.utils.io import write_json_atomic


def _manifest(data_root):
    found = _read_json(osp.join(data_root, 'manifest.json'))
    if found is None:
        raise SystemExit(f'{data_root} has no manifest.json: write the quickstart data there '
                         'first (tools/misc/make_quickstart_data.py).')
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output weight file')
    parser.add_argument('--model', default='mmopen-tiny-convnext',
                        help='open_clip model name (default: mmopen-tiny-convnext)')
    parser.add_argument('--format', default='safetensors', choices=FORMATS)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--pretrain-on', metavar='DATA',
                        help='contrastively pre-train the tiny CLIP on the quickstart data in '
                        'DATA (written by tools/misc/make_quickstart_data.py)')
    parser.add_argument('--steps', type=int, default=300, help='pre-training steps')
    parser.add_argument('--force', action='store_true', help='replace an existing file')
    args = parser.parse_args(argv)
    # what the file was made from, beside it: a file made from other data or settings is stale
    recipe = dict(model=args.model, format=args.format, seed=args.seed,
                  steps=args.steps if args.pretrain_on else 0,
                  data=_manifest(args.pretrain_on) if args.pretrain_on else None)
    recipe_path = args.out + '.json'
    if osp.exists(args.out) and not args.force:
        found = _read_json(recipe_path)
        if found == recipe or (found is None and not args.pretrain_on):
            print(f'{args.out} exists, nothing to do (pass --force to replace it).')
            return 0
        print(f'{args.out} was made from other data or settings: rewriting it.')
    write_clip_file(args.model, args.out, args.format, args.seed, args.pretrain_on, args.steps,
                    log=print)
    write_json_atomic(recipe, recipe_path)
    what = f'pre-trained on {args.pretrain_on}' if args.pretrain_on else 'random-initialised'
    print(f'Wrote {what} {args.model} ({args.format}) to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
