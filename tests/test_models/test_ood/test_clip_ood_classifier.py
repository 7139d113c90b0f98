"""CLIPOODClassifier: its scores are the pure functions' on its similarities, and its
errors."""
import os.path as osp

import pytest
import torch

import mmopen  # noqa: F401
from mmopen.ood import scores as S


@pytest.fixture(scope='module')
def classifier(quickstart_data, quickstart_neg_labels):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    return MODELS.build(dict(
        type='CLIPOODClassifier',
        clip=dict(model_name='mmopen-tiny-convnext',
                  weights=osp.join(quickstart_data, 'tiny_clip_convnext.safetensors')),
        vocabulary=osp.join(quickstart_data, 'cls', 'imagenet', 'meta', 'classes.txt'),
        neg_labels=quickstart_neg_labels,
        scores=[dict(type='MSPScore'), dict(type='NegLabelScore', groups=10),
                dict(type='DeltaEnergyScore', top_c=2)]))


def test_classifier_scores_equal_the_pure_functions(classifier, quickstart_neg_labels):
    x = torch.randn(6, 3, 32, 32)
    preds = classifier.predict(x)
    id_sims, neg_sims = classifier.similarities(x)
    assert id_sims.shape == (6, 5) and neg_sims.shape[0] == 6
    assert classifier.neg_ordered  # the bank was stored in NegLabel's group order once
    # The stored bank's negatives are a permutation of the label file's embeddings: undo it
    # and compare with the plain (gathering) NegLabel on the original order.
    from mmopen.ood.neg_bank import load_neg_bank
    from mmopen.ood.neg_labels import read_neg_labels
    raw = load_neg_bank(classifier.clip, read_neg_labels(quickstart_neg_labels),
                        ('the nice {}', ), ('This is a {} photo', ))
    img = torch.nn.functional.normalize(classifier.clip.encode_image(x).float(), dim=-1)
    raw_neg_sims = img @ raw.T
    ref_neglabel = S.neglabel(id_sims, raw_neg_sims, groups=10, seed=0)
    for i, p in enumerate(preds):
        assert p.ood_scores['NegLabel'] == pytest.approx(float(ref_neglabel[i]), abs=1e-6)
        assert p.ood_scores['MSP'] == pytest.approx(float(S.msp(id_sims)[i]), abs=1e-6)
        assert p.ood_scores['DeltaEnergy'] == pytest.approx(
            float(S.delta_energy(id_sims, top_c=2)[i]), rel=1e-5)
        assert int(p.pred_label) == int(id_sims[i].argmax())


def test_missing_negatives_and_zero_shot_training(quickstart_data):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    clip = dict(model_name='mmopen-tiny-convnext',
                weights=osp.join(quickstart_data, 'tiny_clip_convnext.safetensors'))
    with pytest.raises(ValueError, match='need negative labels'):
        MODELS.build(dict(type='CLIPOODClassifier', clip=clip, vocabulary='voc_20'))
    model = MODELS.build(dict(type='CLIPOODClassifier', clip=clip, vocabulary='voc_20',
                              scores=[dict(type='MCMScore')]))
    with pytest.raises(RuntimeError, match='nothing to train'):
        model(torch.randn(1, 3, 32, 32), mode='loss')


def test_new_scores_in_the_classifier(tiny_clip_files, tmp_path):
    """GL-MCM reads the tower's local embeddings; CSP's conjugated labels are prompted with CSP's
    templates; AdaNeg hands each sample's image feature to the metric, bound to the bank."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    from mmopen.ood.csp import CSP_TEMPLATES
    from mmopen.ood.neg_labels import NegLabels, write_neg_labels
    init_default_scope('mmpretrain')
    labels = str(tmp_path / 'csp.txt')
    write_neg_labels(labels, NegLabels(['circle', 'grass', 'sky', 'wall', 'road'], [],
                                       ('round object', 'striped pattern', 'blue scene')))
    clf = MODELS.build(dict(
        type='CLIPOODClassifier',
        clip=dict(model_name='mmopen-tiny-vit',
                  weights=tiny_clip_files[('mmopen-tiny-vit', 'safetensors')]),
        vocabulary=['square', 'triangle', 'bar'],
        neg_labels=labels,
        scores=[dict(type='GLMCMScore', temperature=0.1), dict(type='CSPScore', groups=2),
                dict(type='AdaNegScore', groups=4)]))
    x = torch.randn(3, 3, 32, 32)
    preds = clf.predict(x)
    glob, local = clf.clip.global_and_local(x)
    norm = torch.nn.functional.normalize
    id_bank = clf.clip.text_embeddings(['square', 'triangle', 'bar'], ('the nice {}', ))
    ref = S.gl_mcm(norm(glob, dim=-1) @ id_bank.T, norm(local, dim=-1) @ id_bank.T, 0.1)
    got = torch.tensor([p.ood_scores['GL-MCM'] for p in preds])
    assert torch.allclose(got, ref, atol=1e-5)
    # back in file order, the last 3 negatives are the conjugated labels under CSP's templates
    neg = clf.text_bank[3:]
    if clf.neg_perm is not None:
        neg = neg[torch.argsort(clf.neg_perm)]
    conj = clf.clip.text_embeddings(['round object', 'striped pattern', 'blue scene'],
                                    CSP_TEMPLATES)
    assert torch.allclose(neg[-3:], conj, atol=1e-6)
    noun = clf.clip.text_embeddings(['circle'], ('the nice {}', ))
    assert torch.allclose(neg[:1], noun, atol=1e-6)
    stream = preds[0].ood_stream['AdaNeg']
    assert stream['state']['key'] == stream['key'] and stream['state']['neg_bank'].shape[0] == 8
    # values between the layers, no live object (the score itself used to ride along): plain
    # containers, numbers, strings and tensors only
    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        return v is None or isinstance(v, (bool, int, float, str, torch.Tensor))
    assert plain(stream), {k: type(v) for k, v in stream.items()}
    assert torch.allclose(stream['inputs']['feature'], norm(glob, dim=-1)[0], atol=1e-5)
    assert 'AdaNeg' not in preds[0].ood_scores
