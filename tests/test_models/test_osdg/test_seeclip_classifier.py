"""SeeCLIPClassifier / SeeCLIPPromptLearner on a random tiny CLIP ViT."""
import pytest
import torch


@pytest.fixture(scope='module', autouse=True)
def _mmpretrain_scope():
    """Registry builds resolve in mmpretrain's scope whatever an earlier test set."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')


NAMES = ['circle', 'square', 'great white shark']


@pytest.fixture()
def model(tiny_clip_files):
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS

    return MODELS.build(dict(
        type='SeeCLIPClassifier', classes=NAMES,
        clip=dict(model_name='mmopen-tiny-vit',
                  weights=tiny_clip_files[('mmopen-tiny-vit', 'safetensors')])))


def _samples(labels):
    from mmpretrain.structures import DataSample
    out = []
    for y in labels:
        ds = DataSample().set_gt_label(int(y))
        ds.set_metainfo(dict(domain='photo'))
        out.append(ds)
    return out


def test_known_prompts_keep_the_class_name_tokens(model):
    learner = model.prompt_learner
    k = learner.num_queries
    for c, name in enumerate(NAMES):
        name_ids = model.clip.tokenizer([name])[0]
        name_ids = name_ids[1:int(name_ids.argmax())].tolist()  # between SOS and EOS
        row = learner.known_tokens[c].tolist()
        start = 1 + 1 + k  # SOS, the domain token, K semantic tokens
        assert row[start:start + len(name_ids)] == name_ids, name
    unk = model.clip.tokenizer(['unknown'])[0]
    unk = unk[1:int(unk.argmax())].tolist()
    row = learner.unknown_tokens[0].tolist()
    start = 1 + 1 + learner.n_unknown_ctx
    assert row[start:start + len(unk)] == unk


def test_class_name_changes_the_known_prompt_feature(model):
    # if the class name were dropped (the released code), all known prompts would coincide
    x = torch.randn(2, 3, 32, 32)
    _, prompts = model.logits(x)
    text = prompts.text
    assert not torch.allclose(text[:, 0], text[:, 1], atol=1e-4)


def test_each_image_gets_prompts_from_its_own_tokens(model):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 3, 32, 32, generator=gen)
    _, p1 = model.logits(x)
    x2 = x.clone()
    x2[1] = torch.randn(3, 32, 32, generator=gen)
    _, p2 = model.logits(x2)
    assert torch.allclose(p1.text[[0, 2]], p2.text[[0, 2]], atol=1e-5)
    assert not torch.allclose(p1.text[1], p2.text[1], atol=1e-4)


def test_a_repulsion_step_moves_the_unknown_prompt_away_from_the_class_prompts(model):
    from mmopen.osdg.seeclip.losses import repulsion_loss
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 1, 2, 0])
    _, prompts = model.logits(x)
    text = prompts.text

    def mean_cos(t):
        return float((t[torch.arange(4), 3] * t[torch.arange(4), labels]).sum(-1).mean())

    before = mean_cos(text.detach())
    assert before > 0.5, 'the hinge must be active for this test (margin 0.5)'
    opt = torch.optim.SGD(model.prompt_learner.parameters(), lr=0.5)
    opt.zero_grad()
    repulsion_loss(text, labels, margin=0.5).backward()
    opt.step()
    with torch.no_grad():
        after = mean_cos(model.logits(x)[1].text)
    assert after < before


def test_only_the_prompt_learner_trains(model):
    x = torch.randn(4, 3, 32, 32)
    losses = model.loss(x, _samples([0, 1, 2, 3]))
    assert set(losses) == {'loss_align', 'loss_rep', 'loss_coh', 'loss_reg', 'acc'}
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('prompt_learner.') for n in trainable)
    assert all(p.grad is not None for n, p in model.named_parameters() if p.requires_grad)
    with pytest.raises(ValueError, match='Labels must be in'):
        model.loss(x, _samples([0, 1, 2, 4]))


def test_predictions_are_probabilities_over_known_and_unknown(model):
    out = model.predict(torch.randn(2, 3, 32, 32))
    for ds in out:
        assert ds.pred_score.shape == (len(NAMES) + 1, )
        assert float(ds.pred_score.sum()) == pytest.approx(1.0, abs=1e-5)
        assert ds.ood_scores['SeeCLIP'] == pytest.approx(1 - float(ds.pred_score[-1]), abs=1e-6)
        assert int(ds.pred_label) == int(ds.pred_score.argmax())


def test_same_seed_same_learner(tiny_clip_files):
    from mmpretrain.registry import MODELS
    cfg = dict(type='SeeCLIPClassifier', classes=NAMES,
               clip=dict(model_name='mmopen-tiny-vit',
                         weights=tiny_clip_files[('mmopen-tiny-vit', 'safetensors')]))
    a, b = MODELS.build(cfg), MODELS.build(dict(cfg, seed=1))
    c = MODELS.build(cfg)
    sa, sb, sc = (m.prompt_learner.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sc[k]) for k in sa)
    assert not torch.equal(sa['queries'], sb['queries'])


def test_default_loss_weights_and_margin_are_the_papers(model):
    import inspect

    from mmopen.osdg.seeclip.losses import repulsion_loss, seeclip_losses
    assert model.loss_weights == dict(rep=1.0, coh=0.5, reg=0.01) and model.margin == 0.5
    params = inspect.signature(seeclip_losses).parameters
    assert (params['w_rep'].default, params['w_coh'].default, params['w_reg'].default,
            params['margin'].default) == (1.0, 0.5, 0.01, 0.5)
    assert inspect.signature(repulsion_loss).parameters['margin'].default == 0.5
    assert model.prompt_learner.num_queries == 4 and model.prompt_learner.n_unknown_ctx == 4


def test_clear_errors(tiny_clip_files):
    from mmpretrain.registry import MODELS
    clip = dict(model_name='mmopen-tiny-vit',
                weights=tiny_clip_files[('mmopen-tiny-vit', 'safetensors')])
    with pytest.raises(ValueError, match='known classes'):
        MODELS.build(dict(type='SeeCLIPClassifier', clip=clip))
    with pytest.raises(ValueError, match='Unknown loss weights'):
        MODELS.build(dict(type='SeeCLIPClassifier', clip=clip, classes=NAMES,
                          loss_weights=dict(repulsion=1.0)))
    with pytest.raises(ValueError, match='word word'):
        MODELS.build(dict(type='SeeCLIPClassifier', clip=clip,
                          classes=[' '.join(['word'] * 40)]))


def _released_semantic_tokens(patch_embeddings, query_vectors):
    """A port of the release's ``SemanticTokenExtractor.forward`` (Leagelab/seeclip,
    ``trainer/seeclip.py``), written as it is there: for each query, the raw scores
    ``patch_embeddings @ q_k``, a softmax over the patches (dim 1) and the weighted sum of the
    patches; tokens stacked along dim 1."""
    tokens = []
    for k in range(query_vectors.shape[0]):
        attention_scores = torch.matmul(patch_embeddings, query_vectors[k])  # [B, N]
        attention_weights = torch.nn.functional.softmax(attention_scores, dim=1)
        semantic_token = torch.sum(attention_weights.unsqueeze(-1) * patch_embeddings, dim=1)
        tokens.append(semantic_token)
    return torch.stack(tokens, dim=1)


def _paper_model_cfg(tiny_clip_files):
    """The SeeCLIP paper config's model with the tiny CLIP in place of ViT-B/16 (no weights
    here) and three known classes in place of the benchmark's."""
    from mmengine.config import Config
    cfg = Config.fromfile('configs/seeclip/seeclip_clip-vit-b16_pacs-target-cartoon.py')
    model = cfg.model.to_dict()
    model.pop('benchmark', None)
    model.update(classes=NAMES, clip=dict(
        model_name='mmopen-tiny-vit',
        weights=tiny_clip_files[('mmopen-tiny-vit', 'safetensors')]))
    return model


def test_paper_config_token_attention_is_the_releases(tiny_clip_files):
    """Fed the same patch embeddings and queries, the paper config's semantic tokens equal the
    release's extractor (catches any normalisation, centring, temperature or competition
    between queries left in the paper configs' attention)."""
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS

    model = MODELS.build(_paper_model_cfg(tiny_clip_files))
    learner = model.prompt_learner
    assert learner.attention == 'released' and learner.temperature is None
    gen = torch.Generator().manual_seed(0)
    d = learner.queries.shape[1]
    # patch embeddings, B x D x h x w, not unit vectors (the release does not normalise)
    emb = torch.randn(2, d, 3, 3, generator=gen) * 2.0
    with torch.no_grad():
        learner.queries.copy_(torch.randn(learner.queries.shape, generator=gen) * 0.05)
        ours = learner.semantic(emb)
        patches = emb.flatten(2).transpose(1, 2)  # B x N x D, raster order, not normalised
        ref = _released_semantic_tokens(patches, learner.queries)
    # 1e-6 relative and absolute: float32 sums of ~10 terms of size ~5, in another order, differ
    # by a few units in the last place (~5e-7 each)
    assert torch.allclose(ours.tokens, ref, atol=1e-6, rtol=1e-6)
    # the attention is neither uniform nor one-hot on these inputs (the comparison means
    # something)
    assert 2.0 / 9 < float(ours.attention.max()) < 0.99


def test_paper_config_queries_are_drawn_with_the_releases_std(tiny_clip_files):
    """The paper config's initial queries are ``N(0, 0.02^2)``: at CLIP ViT-B/16's width (512)
    and K = 4, 2048 draws; the sample std's standard error is 0.02 / sqrt(2 * 2048) = 3.1e-4, so
    4 standard errors allow 1.25e-3 (orthonormal rows would have std 1 / sqrt(512) = 0.044)."""
    import mmopen  # noqa: F401  # isort: skip
    from mmopen.clip import FrozenCLIP
    from mmopen.models.osdg import SeeCLIPPromptLearner

    cfg = _paper_model_cfg(tiny_clip_files)
    clip = FrozenCLIP(**cfg['clip'])
    learner = SeeCLIPPromptLearner(
        NAMES, clip.tokenizer, 512, clip.model.token_embedding.weight.shape[1],
        num_queries=cfg['num_queries'], init_std=cfg['init_std'], attention=cfg['attention'],
        query_init=cfg['query_init'])
    q = learner.queries.detach()
    assert q.shape == (4, 512)
    assert abs(float(q.std()) - 0.02) < 1.25e-3
    assert abs(float(q.mean())) < 4 * 0.02 / 2048 ** 0.5
