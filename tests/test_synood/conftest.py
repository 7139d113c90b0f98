"""SynOOD fixtures: a copy of the quickstart data with the quickstart's 32 ID training images
per class (a smaller segmentation set), its tiny CLIP, a tiny inpainting model pre-trained on
it as ``make quickstart-data`` does, the negatives the tiny CLIP knows, and the generator
settings of the quickstart config.

Without the open world of the OOD quickstart (``world_id=0``): SynOOD's configs use the 32 px ID
classes, and the world would only add its captions to the tiny CLIP's pre-training. The
guidance tests' margins were measured on this CLIP; with the world's pre-training (200 steps
here against 1000 in ``make quickstart-data``) the first guided step lowers the OOD loss by
less (0.88 in one clean-clone run, under the 1.0 the test asks).
"""
import os.path as osp

import pytest

from tests.conftest import TEST_SEED


@pytest.fixture(scope='session')
def synood_asset(tmp_path_factory):
    """A private copy of ``tests/assets.py``'s ``synood`` entry: the data and its tiny CLIP
    in ``quickstart/``, the tiny inpainting model pre-trained on its ID images in
    ``tiny_inpaint/``."""
    from tests.assets import private_copy
    return private_copy('synood', str(tmp_path_factory.mktemp('synood_qs')))


@pytest.fixture(scope='session')
def synood_data(synood_asset):
    return osp.join(synood_asset, 'quickstart')


@pytest.fixture(scope='session')
def tiny_inpaint(synood_asset):
    return osp.join(synood_asset, 'tiny_inpaint')


@pytest.fixture(scope='session')
def known_negatives(synood_data):
    """The quickstart's concepts as negative labels (``mine_neg_labels.py --candidates``)."""
    from tests.tool_runner import run_tool
    out = osp.join(synood_data, 'cls', 'neg_labels_known.txt')
    run_tool(['tools/ood/mine_neg_labels.py', '--clip-model', 'mmopen-tiny-convnext',
              '--clip-weights', osp.join(synood_data, 'tiny_clip_convnext.safetensors'),
              '--id-vocab', osp.join(synood_data, 'cls', 'imagenet', 'meta', 'classes.txt'),
              '--candidates', osp.join(synood_data, 'seg', 'classes.txt'), '--ratio', '1.0',
              '--out', out])
    return out


@pytest.fixture(scope='session')
def generator_cfg(synood_data, tiny_inpaint, known_negatives):
    """The quickstart generation config's ``synood`` settings, on the test data."""
    clip = dict(model_name='mmopen-tiny-convnext',
                weights=osp.join(synood_data, 'tiny_clip_convnext.safetensors'))
    base = osp.join(synood_data, 'cls', 'imagenet')
    vocab = osp.join(base, 'meta', 'classes.txt')
    return dict(
        inpaint_model=tiny_inpaint, clip=clip, neg_labels=known_negatives, vocabulary=vocab,
        classifier=dict(type='clip', clip=clip, vocabulary=vocab),
        context=dict(type='captions', file=osp.join(base, 'meta', 'context_captions.jsonl'),
                     data_root=base),
        guidance=dict(strength=0.6, steps=20, guidance_scale=8.0, outer_iters=3,
                      step_size=2.0, loss='energy', m_out=-5.0, tau=1.0),
        resolution=32, device='cpu')


@pytest.fixture(scope='session')
def generator(generator_cfg):
    from mmopen.ood.synood import SynOODGenerator
    return SynOODGenerator(**generator_cfg)


@pytest.fixture(scope='session')
def id_samples(synood_data):
    """The ID training images: ``[(relative path, label, RGB uint8)]``."""
    import numpy as np
    from PIL import Image
    base = osp.join(synood_data, 'cls', 'imagenet')
    out = []
    with open(osp.join(base, 'meta', 'train.txt')) as f:
        for line in f:
            path, label = line.split()
            rel = osp.join('train', path)
            with Image.open(osp.join(base, rel)) as im:
                out.append((rel, int(label), np.asarray(im.convert('RGB'))))
    return out


@pytest.fixture(scope='session')
def synood_manifest(generator, synood_data, tmp_path_factory):
    """A SynOOD data set of the test data (4 seeds per class), written in-process, 4 images per
    generator call."""
    from mmopen.ood.synood import read_image_list, select_seeds, synood_record
    from mmopen.utils.sharded_writer import generate_shard, write_manifest
    base = osp.join(synood_data, 'cls', 'imagenet')
    seeds = select_seeds(read_image_list(osp.join(base, 'meta', 'train.txt'), 'train'), k=4,
                         data_root=base)
    out = str(tmp_path_factory.mktemp('synood_set'))
    generate_shard(lambda: generator, seeds, base, out, TEST_SEED, fmt='png', progress=False,
                   record_of=synood_record, batch_size=4)
    header = dict(seed=TEST_SEED, num_seeds=len(seeds), image_format='png', num_id_classes=5,
                  data_root=base, ann_file='meta/train.txt', k=4)
    return write_manifest(out, len(seeds), header, 'png')


def quickstart_config(path: str, synood_data: str, manifest: str, out: str, **overrides) -> str:
    """A repository config with its quickstart paths pointed at the test data, as a file."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    text = cfg.pretty_text.replace('data/quickstart/synood/manifest.json', manifest)
    text = text.replace('data/quickstart', synood_data)
    cfg = Config.fromstring(text, '.py')
    if 'randomness' in cfg:
        cfg.randomness.seed = TEST_SEED
    cfg.merge_from_dict(overrides)
    cfg.dump(out)
    return out
