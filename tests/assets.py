"""The test suite's pre-trained inputs, built once per machine and code version
(:mod:`tests.asset_cache`): the quickstart worlds the learning tests run on and the tiny
CLIP / inpainting models pre-trained on them, each for the chain seed :data:`TEST_SEED`.

``make test`` builds the missing ones before pytest starts (``python -m tests.assets``, part of
the set-up, like the compiled mmcv wheel); a fixture that finds its asset missing builds it
itself. Every fixture hands a test a private copy.

    python -m tests.assets [--only NAME ...] [--list]
"""
import argparse
import os
import os.path as osp
import sys
import time

from mmopen.utils.tool_main import load_tool
from tests.asset_cache import AssetCache, copy_asset

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

TEST_SEED = int(os.environ.get('MMOPEN_TEST_SEED', '0'))
QUICKSTART = 'mmopen/quickstart/'
CLIP_SOURCES = [QUICKSTART + 'tiny_clip.py', QUICKSTART + 'quickstart_data.py', 'tests/assets.py']
INPAINT_SOURCES = CLIP_SOURCES + [QUICKSTART + 'tiny_diffusion.py']
OSDG_TOOLS = ['tools/misc/make_osdg_quickstart_data.py', 'tools/misc/make_tiny_clip.py',
              'tools/misc/make_tiny_inpaint.py']
# the ConvNeXt CLIP's pre-training steps in a quickstart world (make quickstart-data's)
WORLD_STEPS = load_tool('tools/misc/setup_quickstart.py').CLIP_STEPS


def _quickstart(out: str, data: dict, steps: int) -> None:
    """Quickstart data written with ``data`` and the tiny ConvNeXt CLIP pre-trained on it for
    ``steps`` steps (as ``make quickstart-data`` does)."""
    from mmopen.quickstart.quickstart_data import write_quickstart_data
    from mmopen.quickstart.tiny_clip import write_clip_file
    root = osp.join(out, 'quickstart')
    assert write_quickstart_data(root, seed=TEST_SEED, log=lambda *_: None, **data)
    write_clip_file('mmopen-tiny-convnext', osp.join(root, 'tiny_clip_convnext.safetensors'),
                    'safetensors', seed=TEST_SEED, pretrain_on=root, steps=steps)


def _synood(out: str, data: dict, steps: int) -> None:
    """:func:`_quickstart` plus the tiny inpainting model pre-trained on its ID images."""
    from mmopen.quickstart.tiny_diffusion import quickstart_pairs, write_tiny_inpaint
    _quickstart(out, data, steps)
    images, prompts = quickstart_pairs(osp.join(out, 'quickstart'))
    write_tiny_inpaint(osp.join(out, 'tiny_inpaint'), images, prompts, seed=TEST_SEED,
                       log=lambda msg: None)


def _seeclip(out: str) -> None:
    """The SeeCLIP quickstart's data, tiny CLIP ViT and tiny inpainting model, written by the
    tools ``make quickstart-data`` runs, in its layout."""
    from tests.tool_runner import load_tool
    osdg = osp.join(out, 'osdg')
    seed = ['--seed', str(TEST_SEED)]
    assert load_tool(OSDG_TOOLS[0]).main([osdg] + seed) == 0
    assert load_tool(OSDG_TOOLS[1]).main(
        ['--model', 'mmopen-tiny-vit', '--pretrain-on', osdg, '--out',
         osp.join(out, 'tiny_clip_vit_osdg.safetensors')] + seed) == 0
    # the quickstart's inpainting model also learns the classification images (SynOOD's);
    # SeeCLIP's tests need only the shapes in four styles
    assert load_tool(OSDG_TOOLS[2]).main(
        ['--out', osp.join(out, 'tiny_inpaint'), '--pretrain-on', osdg] + seed) == 0


# name -> (builder, its parameters, its source files)
ASSETS = {
    # tests/conftest.py's quickstart_data: small, without the open world
    'quickstart': (_quickstart, dict(data=dict(seg_train=48, seg_val=16, cls_train=8, cls_val=4,
                                               ood=8, world_id=0), steps=200), CLIP_SOURCES),
    # tests/test_tools/test_ovsnet_quickstart.py: a quickstart world's data and ConvNeXt CLIP,
    # as make quickstart-data makes them (what the CLIP knows of the unseen classes bounds
    # what OVSNet can name: the small copy's 200-step CLIP names them in some seeds only)
    'ovsnet': (_quickstart, dict(data=dict(), steps=WORLD_STEPS),
               CLIP_SOURCES + [QUICKSTART + 'tiny_pretrain.py', QUICKSTART + 'ood_world.py',
                               'tools/misc/setup_quickstart.py']),
    # tests/test_synood: the 32 ID training images per class, a small segmentation set
    'synood': (_synood, dict(data=dict(seg_train=32, seg_val=4, cls_train=32, cls_val=4, ood=8,
                                       world_id=0), steps=200), INPAINT_SOURCES),
    # tests/test_ood/test_quickstart_world.py: with the OOD quickstart's open world
    'world': (_quickstart, dict(data=dict(seg_train=48, seg_val=4, cls_train=8, cls_val=2,
                                          ood=2), steps=WORLD_STEPS), CLIP_SOURCES),
    'seeclip': (_seeclip, {}, INPAINT_SOURCES + OSDG_TOOLS),
}


def cache() -> AssetCache:
    return AssetCache(REPO)


def asset_path(name: str) -> str:
    """The cache folder of asset ``name`` for :data:`TEST_SEED`, built if missing."""
    build, params, sources = ASSETS[name]
    return cache().get(f'{name}-seed{TEST_SEED}', params, sources,
                       lambda out: build(out, **params))


def private_copy(name: str, dst: str) -> str:
    """A copy of asset ``name`` in ``dst`` (tests write into their inputs' folders)."""
    return copy_asset(asset_path(name), dst)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--only', nargs='+', choices=sorted(ASSETS), help='these assets only')
    parser.add_argument('--list', action='store_true', help='print each entry and whether it '
                        'is built; build nothing')
    args = parser.parse_args(argv)
    for name in args.only or ASSETS:
        if args.list:
            _, params, sources = ASSETS[name]
            path = cache().path(f'{name}-seed{TEST_SEED}', params, sources)
            state = 'built' if osp.isfile(osp.join(path, 'mmopen_asset.json')) else 'missing'
            print(f'{name:<12} {state:<8} {path}')
            continue
        start = time.time()
        path = asset_path(name)
        print(f'test asset {name}: {path} ({time.time() - start:.0f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
