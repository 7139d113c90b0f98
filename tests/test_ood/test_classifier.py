"""CLIPOODClassifier, the OOD datasets and OODMetric, in process."""
import os.path as osp

import numpy as np
import pytest
import torch

import mmopen  # noqa: F401
from mmopen.ood.metrics import ood_metrics
from mmopen.ood import scores as S


@pytest.fixture(scope='module')
def classifier(quickstart_data, quickstart_neg_labels):
    from mmpretrain.registry import MODELS
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
    from mmopen.ood.neg_labels import read_neg_labels
    from mmopen.models.ood.clip_ood_classifier import load_neg_bank
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
    from mmpretrain.registry import MODELS
    clip = dict(model_name='mmopen-tiny-convnext',
                weights=osp.join(quickstart_data, 'tiny_clip_convnext.safetensors'))
    with pytest.raises(ValueError, match='need negative labels'):
        MODELS.build(dict(type='CLIPOODClassifier', clip=clip, vocabulary='voc_20'))
    model = MODELS.build(dict(type='CLIPOODClassifier', clip=clip, vocabulary='voc_20',
                              scores=[dict(type='MCMScore')]))
    with pytest.raises(RuntimeError, match='nothing to train'):
        model(torch.randn(1, 3, 32, 32), mode='loss')


def test_benchmark_dataset_and_layout_errors(quickstart_data, tmp_path):
    from mmpretrain.registry import DATASETS
    cls = osp.join(quickstart_data, 'cls')
    ds = DATASETS.build(dict(
        type='OODBenchmarkDataset',
        id_dataset=dict(type='CustomDataset', data_root=osp.join(cls, 'imagenet'),
                        ann_file='meta/val.txt', data_prefix='val',
                        classes=osp.join(cls, 'imagenet', 'meta', 'classes.txt')),
        ood_datasets=dict(textures=dict(type='ImageListDataset',
                                        data_root=osp.join(cls, 'ood', 'textures'),
                                        ann_file='list.txt'),
                          shapes=dict(type='ImageListDataset',
                                      data_prefix=osp.join(cls, 'ood', 'shapes', 'images'))),
        groups=dict(far=['textures'])))
    sets = [ds.get_data_info(i)['ood_set'] for i in range(len(ds))]
    assert sets.count('ID') == 20 and sets.count('textures') == 8 and sets.count('shapes') == 8
    assert all(ds.get_data_info(i)['gt_label'] == -1 for i in range(20, 36))
    assert ds.metainfo['classes'][0] == 'tench' and ds.metainfo['ood_groups'] == {
        'far': ('textures', )}
    with pytest.raises(FileNotFoundError, match='Expected layout: SUN/images'):
        DATASETS.build(dict(type='ImageListDataset', data_root=str(tmp_path),
                            data_prefix='SUN/images', layout='SUN/images/*.jpg'))
    with pytest.raises(ValueError, match='not in ood_datasets'):
        DATASETS.build(dict(type='OODBenchmarkDataset', id_dataset=dict(type='CustomDataset'),
                            ood_datasets=dict(a=dict()), groups=dict(near=['b'])))


def test_ood_metric_against_pure_functions():
    from mmopen.evaluation import OODMetric
    rng = np.random.default_rng(0)
    results = []
    for name, n, mu in (('ID', 50, 1.0), ('a', 30, 0.0), ('b', 20, 0.5)):
        for i in range(n):
            results.append(dict(set=name, gt=i % 3 if name == 'ID' else -1,
                                pred=0 if name == 'ID' else 1,
                                scores=dict(S1=float(rng.normal(mu)), S2=float(rng.normal()))))
    metric = OODMetric(groups=dict(near=['b']))
    out = metric.compute_metrics(results)
    ids = np.array([r['scores']['S1'] for r in results if r['set'] == 'ID'])
    a = np.array([r['scores']['S1'] for r in results if r['set'] == 'a'])
    b = np.array([r['scores']['S1'] for r in results if r['set'] == 'b'])
    ra, rb = ood_metrics(ids, a), ood_metrics(ids, b)
    assert out['S1/a/hendrycks/AUROC'] == pytest.approx(100 * ra['hendrycks']['AUROC'])
    assert out['S1/b/openood/FPR95'] == pytest.approx(100 * rb['openood']['FPR95'])
    assert out['S1/average/hendrycks/FPR95'] == pytest.approx(
        50 * (ra['hendrycks']['FPR95'] + rb['hendrycks']['FPR95']))
    assert out['S1/near/openood/AUPR_IN'] == pytest.approx(100 * rb['openood']['AUPR_IN'])
    assert out['id_accuracy/top1'] == pytest.approx(100 * np.mean([i % 3 == 0 for i in range(50)]))
    assert 'S2/a/hendrycks/AUROC' in out
    with pytest.raises(ValueError, match='No OOD sample'):
        metric.compute_metrics([r for r in results if r['set'] == 'ID'])
