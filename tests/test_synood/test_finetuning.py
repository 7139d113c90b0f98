"""SynOOD's two-stage fine-tuning: the projection's formula, each stage lowering its loss on the
quickstart, stage 2 changing only the negative-label features, the tuned features changing the
NegLabel scores of the evaluation config, and the data set's labels."""
import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from tests.tool_runner import run_tool
from .conftest import quickstart_config

S1 = 'configs/synood/quickstart/synood_clip-tiny-convnext_stage1-projection_quickstart.py'
S2 = 'configs/synood/quickstart/synood_clip-tiny-convnext_stage2-neg-features_quickstart.py'


def _build(cfg_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import DATASETS, MODELS

    init_default_scope('mmpretrain')
    cfg = Config.fromfile(cfg_path)
    return cfg, MODELS.build(cfg.model), DATASETS.build(cfg.train_dataloader.dataset)


def _batch(model, dataset):
    from mmengine.dataset import pseudo_collate
    data = pseudo_collate([dataset[i] for i in range(len(dataset))])
    return model.data_preprocessor(data, True)


def test_projection_is_the_residual_formula():
    from mmopen.models.ood import ResidualProjection
    torch.manual_seed(0)
    proj = ResidualProjection(16)
    with torch.no_grad():
        proj.norm.weight.uniform_(0.5, 1.5)
        proj.norm.bias.normal_()
    f = F.normalize(torch.randn(5, 16), dim=-1)
    h = f @ proj.linear.weight.T + proj.linear.bias
    mu, var = h.mean(-1, keepdim=True), h.var(-1, unbiased=False, keepdim=True)
    ln = (h - mu) / torch.sqrt(var + 1e-5) * proj.norm.weight + proj.norm.bias
    ref = f + ln.clamp(min=0)
    assert torch.allclose(proj(f), ref / ref.norm(dim=-1, keepdim=True), atol=1e-6)
    # at initialisation the projection is near the identity (the zero-shot detector)...
    fresh = ResidualProjection(512)
    g = F.normalize(torch.randn(8, 512), dim=-1)
    assert (fresh(g) * g).sum(-1).min() > 0.97
    # ...and has gradients (a zero LN scale would give none through the ReLU)
    fresh(g).sum().backward()
    assert fresh.norm.weight.grad.abs().sum() > 0 and fresh.linear.weight.grad.abs().sum() > 0


@pytest.fixture(scope='module')
def configs(synood_data, synood_manifest, tmp_path_factory):
    folder = tmp_path_factory.mktemp('ft_cfg')
    return {name: quickstart_config(path, synood_data, synood_manifest,
                                    str(folder / osp.basename(path)))
            for name, path in (('s1', S1), ('s2', S2))}


@pytest.mark.parametrize('stage', ['s1', 's2'])
def test_each_stage_lowers_its_loss(configs, stage):
    cfg, model, dataset = _build(configs[stage])
    data = _batch(model, dataset)
    opt_cfg = dict(cfg.optim_wrapper.optimizer)
    opt_cls = getattr(torch.optim, opt_cfg.pop('type'))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = opt_cls(params, **opt_cfg)

    def loss():
        return sum(model.loss(data['inputs'], data['data_samples']).values())
    with torch.no_grad():
        first = loss().item()
    for _ in range(50):
        value = loss()
        opt.zero_grad()
        value.backward()
        opt.step()
    with torch.no_grad():
        last = loss().item()
    assert last < 0.8 * first, (first, last)


def test_stage2_changes_only_the_negative_features(configs):
    cfg, model, dataset = _build(configs['s2'])
    data = _batch(model, dataset)
    before = {k: v.clone() for k, v in model.state_dict(keep_vars=False).items()}
    bank_before = model.current_bank().detach().clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=2e-2,
                          momentum=0.9, weight_decay=1e-5)
    for _ in range(5):
        loss = sum(model.loss(data['inputs'], data['data_samples']).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = model.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert changed == ['neg_features']
    bank = model.current_bank().detach()
    moved = (bank - bank_before).abs().sum(-1) > 0
    assert torch.equal(torch.nonzero(moved).flatten().sort().values,
                       model.tuned_rows.sort().values)


def test_tuned_features_change_the_neglabel_evaluation(configs, tmp_path):
    """Train stage 2 with tools/train.py, then evaluate its config with and without the
    checkpoint: NegLabel's metrics change, the scores that read no negatives do not."""
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', configs['s2'], '--work-dir', work])
    results = {}
    for ckpt in ('none', f'last:{work}'):
        out = str(tmp_path / f'{ckpt[:4]}.json')
        run_tool(['tools/test.py', configs['s2'], ckpt, '--work-dir', str(tmp_path / 't'),
                  '--json', out])
        with open(out) as f:
            results[ckpt[:4]] = json.load(f)
    untuned, tuned = results['none'], results['last']
    neg = [k for k in untuned if k.startswith('NegLabel/') and k.endswith('/AUROC')]
    assert neg and any(abs(untuned[k] - tuned[k]) > 0.01 for k in neg)
    for k in untuned:
        if k.startswith(('MSP/', 'Energy/', 'MaxLogit/', 'MCM/')):
            assert untuned[k] == pytest.approx(tuned[k], abs=1e-6), k


def test_checkpoint_tuned_on_another_subset_is_refused(configs, synood_manifest):
    _, model, _ = _build(configs['s2'])
    state = model.state_dict()
    state['tuned_index'] = state['tuned_index'][:1]
    state['neg_features'] = state['neg_features'][:1]
    with pytest.raises(ValueError, match='tuned 1 negative labels.*mined_from'):
        model.load_state_dict(state)


def test_dataset_labels_and_stage_errors(configs, synood_manifest):
    from mmopen.datasets import SynOODDataset
    from mmopen.ood.synood import read_manifest
    records = read_manifest(synood_manifest)['records']
    both = SynOODDataset(synood_manifest, parts=('id', 'synthetic'), lazy_init=False)
    syn = SynOODDataset(synood_manifest, parts=('synthetic', ))
    assert len(syn) == len(records) and len(both) == 2 * len(records)
    assert [syn.get_data_info(i)['gt_label'] for i in range(len(syn))] == [
        5 + r['neg_index'] for r in records]
    ids = [both.get_data_info(i) for i in range(len(records))]
    assert [d['gt_label'] for d in ids] == [r['source_label'] for r in records]
    assert all(d['img_path'].endswith(r['source']) for d, r in zip(ids, records))
    with pytest.raises(ValueError, match='parts'):
        SynOODDataset(synood_manifest, parts=('ood', ))
    # stage 2 refuses ID images; stage 1 needs the projection
    cfg, model, _ = _build(configs['s2'])
    both = SynOODDataset(synood_manifest, pipeline=cfg.train_dataloader.dataset.pipeline)
    data = _batch(model, both)
    with pytest.raises(ValueError, match="synthetic images only.*parts=\\('synthetic', \\)"):
        model.loss(data['inputs'], data['data_samples'])
    from mmpretrain.registry import MODELS
    bad = dict(cfg.model, train_stage=1, projection=False)
    with pytest.raises(ValueError, match='projection=True'):
        MODELS.build(bad)


def test_tuned_rows_are_their_words_in_the_permuted_bank(tiny_clip_files, tmp_path):
    """NegLabel stores the negatives in its group order: the tuned feature of negative ``j`` must
    sit in the row holding word ``j``'s embedding (computed here from the word itself)."""
    from mmopen.clip import FrozenCLIP
    from mmopen.models.ood import SynOODClassifier
    words = [f'thing{i}' for i in range(40)]
    neg = tmp_path / 'neg.txt'
    neg.write_text(''.join(f'noun\t{w}\n' for w in words))
    weights = tiny_clip_files[('mmopen-tiny-convnext', 'safetensors')]
    clip = dict(model_name='mmopen-tiny-convnext', weights=weights, cache_dir=False)
    model = SynOODClassifier(clip=clip, vocabulary=['a', 'b'], neg_labels=str(neg),
                             scores=[dict(type='NegLabelScore', groups=4)], train_stage=2)
    assert model.neg_perm is not None and not torch.equal(model.neg_perm, torch.arange(40))
    ref = FrozenCLIP(**clip).text_embeddings([[w] for w in words], ('the nice {}', ))
    bank = model.current_bank()
    for k, j in enumerate(model.tuned_index.tolist()):
        assert torch.allclose(bank[model.tuned_rows[k]], ref[j], atol=1e-5)
        assert torch.allclose(F.normalize(model.neg_features[k], dim=-1), ref[j], atol=1e-5)
