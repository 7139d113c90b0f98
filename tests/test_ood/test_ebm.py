"""ΔEnergy's EBM: the bound holds, the prompt context is all that trains, and training on the
quickstart lowers the loss and raises the mean ΔEnergy of the training ID samples."""
import copy
import os.path as osp

import pytest
import torch

import mmopen  # noqa: F401
from mmopen.ood.ebm import delta_energy_lower_bound, ebm_bound_sets
from mmopen.ood.scores import delta_energy

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EBM_QS = osp.join(REPO, 'configs', 'ood', 'quickstart', 'ebm_clip-tiny-convnext_quickstart.py')


@pytest.mark.parametrize('top_c', [1, 2, 3])
def test_bound_is_below_delta_energy(top_c):
    g = torch.Generator().manual_seed(top_c)
    for _ in range(20):
        cos = torch.rand(64, 7, generator=g) * 0.6 - 0.2
        labels = torch.randint(0, 7, (64, ), generator=g)
        s = cos / 0.01
        bound = delta_energy_lower_bound(s, labels, top_c)
        de = delta_energy(cos, 0.01, top_c)
        assert (bound <= de + 1e-3).all()
    # tight when the label is the arg-max and c = 1 up to lse(s) - s_y
    s = torch.tensor([[5.0, 1.0, 0.5]])
    b = delta_energy_lower_bound(s, torch.tensor([0]), 1)
    assert b.item() == pytest.approx(5.0 - torch.logsumexp(torch.tensor([0.0, 1.0, 0.5]),
                                                           0).item(), abs=1e-5)
    mask = ebm_bound_sets(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), torch.tensor([3]), 3)
    assert mask.tolist() == [[False, True, True, True]]


def _mean_delta_energy_and_loss(model, dataset):
    from mmengine.dataset import pseudo_collate
    model.eval()
    des, losses = [], []
    with torch.no_grad():
        for start in range(0, len(dataset), 8):
            batch = pseudo_collate([dataset[i] for i in range(start, min(start + 8,
                                                                         len(dataset)))])
            data = model.data_preprocessor(batch, False)
            id_sims, _ = model.similarities(data['inputs'])
            des.append(delta_energy(id_sims, model.tau))
            model.train()
            out = model.loss(data['inputs'], data['data_samples'])
            model.eval()
            losses.append(float(out['loss_cls'] + out['loss_ebm']))
    return float(torch.cat(des).mean()), sum(losses) / len(losses)


def test_ebm_quickstart_training(quickstart_data, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cls = osp.join(quickstart_data, 'cls', 'imagenet')
    cfg = Config.fromfile(EBM_QS)
    cfg.work_dir = str(tmp_path / 'ebm')
    cfg.model.clip.weights = osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')
    cfg.model.vocabulary = osp.join(cls, 'meta', 'classes.txt')
    inner = cfg.train_dataloader.dataset.dataset
    inner.data_root, inner.classes = cls, osp.join(cls, 'meta', 'classes.txt')
    cfg.train_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'),
                                             dict(type='PackInputs')]
    cfg.train_cfg.max_iters = 40
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.default_hooks.checkpoint.interval = 1000
    runner = Runner.from_cfg(cfg)
    model = runner.model
    dataset = runner.train_dataloader.dataset
    assert len(dataset) == 5 * 4  # 4 shots of 5 classes
    before_state = copy.deepcopy(model.state_dict())
    de_before, loss_before = _mean_delta_energy_and_loss(model, dataset)
    runner.train()
    de_after, loss_after = _mean_delta_energy_and_loss(model, dataset)
    assert loss_after < loss_before - 0.5, (loss_before, loss_after)
    assert de_after > de_before, (de_before, de_after)
    after_state = model.state_dict()
    changed = [k for k in before_state if not torch.equal(before_state[k], after_state[k])]
    assert changed == ['ctx']
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ['ctx']
