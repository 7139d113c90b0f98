"""SynOODTransform in a pipeline: registered where mmpretrain finds it, deterministic under a
seed, channel order, label space, and no models pickled to workers."""
import copy
import os.path as osp
import pickle

import numpy as np
import pytest


@pytest.fixture(scope='module')
def pipeline(generator_cfg):
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope

    import mmopen  # noqa: F401
    init_default_scope('mmpretrain')
    return Compose([dict(type='LoadImageFromFile'),
                    dict(type='SynOODTransform', generator=generator_cfg, seed=3)])


def _sample(synood_data, rel, label):
    return dict(img_path=osp.join(synood_data, 'cls', 'imagenet', rel), gt_label=label)


def test_registered_in_mmengine_and_found_by_mmpretrain():
    from mmengine.registry import TRANSFORMS as ROOT
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import TRANSFORMS

    from mmopen.datasets import SynOODTransform
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
    # the per-image seed by its definition (sha256 of "<run seed>:<path>", the low 31 bits of
    # its first 4 bytes, little-endian), written here
    import hashlib
    digest = hashlib.sha256(f'3:{a["img_path"]}'.encode()).digest()
    seed = int.from_bytes(digest[:4], 'little') & 0x7FFFFFFF
    assert syn['seed'] == seed
    ref = generator.generate([rgb], [a['img_path']], [label], [seed])[0]
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
    from mmopen.datasets import SynOODTransform
    with pytest.raises(ValueError, match='generator.neg_labels is required'):
        SynOODTransform(generator={k: v for k, v in generator_cfg.items() if k != 'neg_labels'})
    with pytest.raises(ValueError, match='channel_order'):
        SynOODTransform(generator=generator_cfg, channel_order='hsv')


class _SynOODSet:
    """A map-style data set running the LoadImageFromFile + SynOODTransform pipeline (module
    level: spawned workers import it)."""

    def __init__(self, samples, generator_cfg):
        from mmengine.dataset import Compose
        from mmengine.registry import init_default_scope

        import mmopen  # noqa: F401
        init_default_scope('mmpretrain')
        self.samples = samples
        self.pipeline = Compose([dict(type='LoadImageFromFile'),
                                 dict(type='SynOODTransform', generator=generator_cfg, seed=3)])

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        out = self.pipeline(dict(self.samples[i]))
        return dict(img=out['img'], gt_label=out['gt_label'], loaded_in=out['synood']['loaded_in'],
                    seed=out['synood']['seed'])


def _worker_run(synood_data, id_samples, generator_cfg, device):
    import os

    import torch
    from torch.utils.data import DataLoader
    samples = [_sample(synood_data, rel, label) for rel, label, _ in id_samples[:4]]
    ds = _SynOODSet(samples, dict(generator_cfg, device=device))
    loader = DataLoader(ds, batch_size=None, num_workers=2, multiprocessing_context='spawn')
    items = list(loader)
    assert len(items) == 4
    pids = {it['loaded_in']['pid'] for it in items}
    assert os.getpid() not in pids and len(pids) == 2  # made in the two workers, not here
    assert {it['loaded_in']['worker'] for it in items} == {0, 1}
    assert ds.pipeline.transforms[1]._generator is None  # the main process loaded nothing
    del torch
    return samples, items


def test_spawned_workers_load_their_own_models_and_match_the_main_process(
        synood_data, id_samples, generator_cfg, generator):
    """The worker path a CUDA run takes (spawn start method, models built in each worker from
    the config, never pickled), here on CPU: each worker loads its models once, and every image
    equals the one the main process makes from the same seed image."""
    import torch
    samples, items = _worker_run(synood_data, id_samples, generator_cfg, 'cpu')
    assert {it['loaded_in']['device'] for it in items} == {'cpu'}
    # DataLoader workers run torch with one thread: the reference does too, so that both sum
    # in the same order and the images can be compared exactly on any machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        from mmopen.utils.sharded_writer import sample_seed  # pinned above by its definition
        for (rel, label, rgb), sample, it in zip(id_samples[:4], samples, items):
            seed = sample_seed(3, sample['img_path'])  # the pipeline's seed=3
            assert it['seed'] == seed  # each worker seeds each image as the main process
            ref = generator.generate([rgb], [sample['img_path']], [label], [seed])[0]
            assert np.array_equal(np.asarray(it['img']), ref.image[..., ::-1])
    finally:
        torch.set_num_threads(threads)


def test_worker_device_is_the_ranks_gpu_and_a_cuda_fork_is_named(monkeypatch):
    import torch

    from mmopen.datasets.synood_transform import worker_device
    monkeypatch.setenv('LOCAL_RANK', '1')
    assert worker_device('cuda') == 'cuda:1'  # not GPU 0 on every rank
    assert worker_device('cuda:0') == 'cuda:0' and worker_device('cpu') == 'cpu'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert worker_device(None) == 'cpu'
    monkeypatch.setattr(torch.cuda, '_is_in_bad_fork', lambda: True)
    with pytest.raises(RuntimeError, match="multiprocessing_context='spawn'"):
        worker_device('cuda')
    assert worker_device('cpu') == 'cpu'  # a forked worker on CPU is fine


@pytest.mark.skipif(not __import__('torch').cuda.is_available(), reason='needs CUDA')
def test_spawned_workers_generate_on_cuda_after_the_parent_used_it(synood_data, id_samples,
                                                                   generator_cfg):
    import torch
    torch.zeros(1, device='cuda')  # the parent has initialised CUDA, as a training run has
    _, items = _worker_run(synood_data, id_samples, generator_cfg, 'cuda')
    assert {it['loaded_in']['device'] for it in items} == {'cuda:0'}
    assert all(np.asarray(it['img']).std() > 0 for it in items)
