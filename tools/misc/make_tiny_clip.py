"""Write a random-initialised CLIP weight file for tests and the quickstart.

The file is written in a real release format, so that loading it exercises exactly the code
path of real weights (``mmopen.clip.FrozenCLIP(model_name, weights=PATH)``):

* ``safetensors`` -- open_clip's ``open_clip_model.safetensors``,
* ``bin``         -- open_clip's ``open_clip_pytorch_model.bin`` (``torch.save`` of the state dict),
* ``openai-jit``  -- a TorchScript archive like OpenAI's released ``ViT-B-16.pt``,
* ``openai-state-dict`` -- an OpenAI-style state dict, with its ``input_resolution``,
  ``context_length`` and ``vocab_size`` entries.

The file is written to a temporary name and renamed; an existing file is replaced only with
``--force``. Usage::

    python tools/misc/make_tiny_clip.py --out data/quickstart/tiny_clip_convnext.safetensors \\
        [--model mmopen-tiny-convnext] [--format safetensors] [--seed 0]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmopen.clip.tiny import FORMATS, write_clip_file  # noqa: E402


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
    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists, nothing to do (pass --force to replace it).')
        return 0
    write_clip_file(args.model, args.out, args.format, args.seed, args.pretrain_on, args.steps,
                    log=print)
    what = f'pre-trained on {args.pretrain_on}' if args.pretrain_on else 'random-initialised'
    print(f'Wrote {what} {args.model} ({args.format}) to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
