"""SynOODTransform in a pipeline: registered where mmpretrain finds it, deterministic under a
seed, channel order, label space, and no models pickled to workers."""
import copy
import os.path as osp
import pickle

import numpy as np
import pytest


@pytest.fixture(scope='module')
def pipeline(generator_cfg):
    import mmopen  # noqa: F401
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    return Compose([dict(type='LoadImageFromFile'),
                    dict(type='SynOODTransform', generator=generator_cfg, seed=3)])


def _sample(synood_data, rel, label):
    return dict(img_path=osp.join(synood_data, 'cls', 'imagenet', rel), gt_label=label)


def test_registered_in_mmengine_and_found_by_mmpretrain():
    import mmopen  # noqa: F401
    from mmengine.registry import TRANSFORMS as ROOT
    from mmpretrain.registry import TRANSFORMS
    from mmopen.synood import SynOODTransform
    assert ROOT.get('SynOODTransform') is SynOODTransform
    assert TRANSFORMS.get('SynOODTransform') is SynOODTransform


def test_transform_output_is_deterministic_and_labelled(pipeline, synood_data, id_samples,
                                                        generator):
    rel, label, rgb = id_samples[5]
    a = pipeline(_sample(synood_data, rel, label))
    b = pipeline(_sample(synood_data, rel, label))
    assert a['img'].shape == (32, 32, 3) and a['img'].dtype == np.uint8
    assert np.array_equal(a['img'], b['img'])
    syn = a['synood']
    assert syn['source_label'] == label and len(syn['losses']) == 4
    assert a['gt_label'] == 5 + generator.neg_words.index(syn['neg_label'])
    # BGR in, BGR out: the same image the generator makes from the RGB seed, channels reversed
    from mmopen.synood import sample_seed
    ref = generator.generate([rgb], [a['img_path']], [label], [syn['seed']])[0]
    assert syn['seed'] == sample_seed(3, a['img_path'])
    assert np.array_equal(a['img'], ref.image[..., ::-1])
    # another seed, another image
    other = copy.deepcopy(pipeline)
    other.transforms[1].seed = 4
    assert not np.array_equal(other(_sample(synood_data, rel, label))['img'], a['img'])


def test_models_are_not_pickled(pipeline, synood_data, id_samples):
    rel, label, _ = id_samples[0]
    pipeline(_sample(synood_data, rel, label))  # loads the models
    t = pipeline.transforms[1]
    assert t._generator is not None
    clone = pickle.loads(pickle.dumps(t))
    assert clone._generator is None and clone.generator_cfg == t.generator_cfg
    assert len(pickle.dumps(t)) < 10_000


def test_bad_input_is_named(generator_cfg):
    from mmopen.synood import SynOODTransform
    with pytest.raises(ValueError, match='generator.neg_labels is required'):
        SynOODTransform(generator={k: v for k, v in generator_cfg.items() if k != 'neg_labels'})
    with pytest.raises(ValueError, match='channel_order'):
        SynOODTransform(generator=generator_cfg, channel_order='hsv')
