"""The quickstart tour's plan and summary: each row reads the key the step's tool writes (checked
on metrics files in the tools' own formats), means and sample standard deviations over the
seeds, claims that count the seeds they hold in, and the seeded copies of the configs."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from tests.tool_runner import load_tool


def _tour():
    return load_tool('tools/misc/quickstart_tour.py')


def _write_results(tour, work, data, seed, shift):
    """Metrics files as the tools write them, for one seed (values shifted by ``shift``)."""
    by_name = {s.name: s for s in tour.steps(work, seed, data)}
    files = dict(
        ovsnet_seen=dict(aAcc=90.0, mIoU=81.25 + shift, mAcc=88.0),
        ovsnet_open=dict(aAcc=80.0, mIoU=55.5, mAcc=70.0, mIoU_seen=70.0,
                         mIoU_unseen=20.125 + shift, hIoU=31.26),
        # the ensemble ablation loses 10 points of unseen mIoU in seeds 0 and 1, gains 1 in 2
        ovsnet_in_vocab=dict(aAcc=80.0, mIoU=50.0, mAcc=70.0, mIoU_seen=70.0,
                             mIoU_unseen=(10.125, 12.125, 25.125)[int(shift) // 2],
                             hIoU=20.0),
        ovsnet_plain_head=dict(aAcc=80.0, mIoU=50.0, mAcc=70.0, mIoU_seen=70.0,
                               mIoU_unseen=15.0, hIoU=25.0),
        ovsnet_plain_loss=dict(aAcc=80.0, mIoU=50.0, mAcc=70.0, mIoU_seen=72.0,
                               mIoU_unseen=5.0, hIoU=9.0),
        ovsnet_clip_regions=dict(aAcc=70.0, mIoU=45.0, mAcc=60.0, mIoU_seen=40.0,
                                 mIoU_unseen=35.5, hIoU=37.6),
        ood_zero_shot={'id_accuracy/top1': 90.0,
                       'NegLabel/near/hendrycks/AUROC': 60.0 + shift,
                       'NegLabel/near/hendrycks/FPR95': 90.0,
                       'NegLabel/far/hendrycks/AUROC': 80.0 + shift,
                       'NegLabel/far/hendrycks/FPR95': 50.0,
                       'NegLabel/average/hendrycks/AUROC': 70.0 + shift,
                       'NegLabel/near/openood/AUROC': 60.0 + shift,
                       'MCM/near/hendrycks/AUROC': 70.0,
                       'MCM/near/hendrycks/FPR95': 80.0,
                       'MCM/far/hendrycks/AUROC': 79.0,
                       'MCM/far/hendrycks/FPR95': 60.0},
        ood_csp={'id_accuracy/top1': 90.0, 'CSP/near/hendrycks/AUROC': 62.0,
                 'CSP/near/hendrycks/FPR95': 85.0, 'CSP/far/hendrycks/AUROC': 90.0,
                 'CSP/far/hendrycks/FPR95': 40.0})
    files['synood_untuned'] = {'NegLabel/average/hendrycks/AUROC': 51.0,
                               'NegLabel/average/hendrycks/FPR95': 97.0}
    files['synood_tuned'] = {'NegLabel/average/hendrycks/AUROC': 58.25 - 2 * shift,
                             'NegLabel/average/hendrycks/FPR95': 93.5}
    for name, h in dict(seeclip_untrained=0.0, seeclip_off=10.0, seeclip_on=60.0 + shift,
                        seeclip_on_known_acc=55.0).items():
        files[name] = {'osdg/hscore': h, 'osdg/known_acc': 80.0, 'osdg/unknown_acc': 50.0,
                       'osdg/AUROC': 90.0, 'osdg/closed_acc': 92.5, 'osdg/token_cos': 0.9,
                       'osdg/attention_entropy': 0.8}
    for name, metrics in files.items():
        with open(by_name[name].result, 'w') as f:
            json.dump(metrics, f)
    gen = by_name['synood_generate'].done
    import os
    os.makedirs(osp.dirname(gen), exist_ok=True)
    with open(gen, 'w') as f:  # the generator's manifest
        json.dump(dict(records=[dict(losses=[-12.0, -13.0, -14.0, -15.0], neg_label='kite'),
                                dict(losses=[-11.0, -12.0, -13.0, -14.5], neg_label='grass'),
                                dict(losses=[-11.5, -12.0, -13.0, -14.75], neg_label='box'),
                                dict(losses=[-11.5, -12.0, -13.0, -14.75],
                                     neg_label='tire')]), f)


def test_plan_of_a_seed(tmp_path):
    tour = _tour()
    work, data = str(tmp_path / 'work'), str(tmp_path / 'qs')
    plan = tour.steps(work, 0, data)
    assert [s.args[0] for s in plan] == (
        ['tools/train.py'] + ['tools/test.py'] * 4 + ['tools/train.py', 'tools/test.py'] * 2
        + ['tools/test.py'] * 2 + ['tools/synood/generate.py',
                                                      'tools/train.py'] +
        ['tools/test.py'] * 3 + ['tools/train.py', 'tools/test.py',
                                 'tools/seeclip/generate_pseudo_unknowns.py', 'tools/train.py',
                                 'tools/test.py', 'tools/test.py'])
    # seed 0 runs the repository's configs on data; seed 2 its copies on data-seed2
    assert plan[0].args[1] == tour.OVS
    other = tour.steps(work, 2, data)
    assert other[0].args[1] == osp.join(work, 'seed2', 'configs', osp.basename(tour.OVS))
    assert other[11].args[-2] == osp.join(data + '-seed2', 'synood')
    # the OVSNet ablations: the ensemble off at test time, the mask oracle without weights,
    # and two trainings of their own configs
    by = {s.name: s for s in plan}
    assert by['ovsnet_in_vocab'].args[-2:] == ['--cfg-options', 'model.decode_head.ensemble=None']
    assert by['ovsnet_clip_regions'].args[2] == 'none'
    assert by['ovsnet_clip_regions'].args[-1] == 'model.test_cfg.masks=ground_truth'
    assert by['ovsnet_plain_head_train'].args[1] == tour.OVS_PLAIN_HEAD
    assert by['ovsnet_plain_loss'].args[2] == 'last:' + by['ovsnet_plain_loss_train'].args[-1]
    gen = [s for s in other if s.name == 'seeclip_generate'][0]
    assert gen.fresh == osp.join(data + '-seed2', 'osdg_pseudo_unknowns')
    assert all(osp.join(work, 'seed2') in s.result for s in other if s.result)
    on = [s for s in plan if s.name == 'seeclip_on'][0]
    assert on.args[2].startswith('best_osdg_hscore:')


def test_summary_means_spreads_and_claims(tmp_path):
    tour = _tour()
    work, data = str(tmp_path / 'work'), str(tmp_path / 'qs')
    for seed, shift in ((0, 0.0), (1, 2.0), (2, 4.0)):
        for step in tour.steps(work, seed, data):
            if step.result:
                os.makedirs(osp.dirname(step.result), exist_ok=True)
        _write_results(tour, work, data, seed, shift)
    # seed 1's generation steps wrote their contact sheets (SynOOD's PNG and HTML, SeeCLIP's PNG)
    sheets = [osp.join(tour.world_root(data, 1), f) for f in (
        'synood/contact_sheet.png', 'synood/contact_sheet.html',
        'osdg_pseudo_unknowns/contact_sheet.png')]
    for path in sheets:
        os.makedirs(osp.dirname(path), exist_ok=True)
        open(path, 'w').close()
    text = tour.report(work, [0, 1, 2], data)
    listed = text[text.index('Contact sheets'):].splitlines()[1:4]
    assert [line.split(': ', 1)[1] for line in listed] == [osp.relpath(p, tour.REPO)
                                                           for p in sheets]
    assert listed[0].startswith('  seed 1, SynOOD') and listed[2].startswith('  seed 1, SeeCLIP')
    summary = json.load(open(osp.join(work, 'summary.json')))
    rows = {(r['method'], r['metric']): r for r in summary['rows']}
    seen = rows[('OVSNet', 'mIoU, training vocabulary (6 seen classes)')]
    assert seen['value'] == f'{81.25 + 2:.1f} ± {np.std([81.25, 83.25, 85.25], ddof=1):.1f}'
    assert seen['seeds'] == '81.2 ; 83.2 ; 85.2'
    gen = rows[('SynOOD generation', 'OOD loss, unguided / after the guidance')]
    assert gen['value'] == '-11.50 ± 0.00 / -14.75 ± 0.00'
    mined = rows[('SynOOD images', '% mined as a near-OOD object (kite, tire) / as a bare scene')]
    assert mined['value'] == '50.0 ± 0.0 / 25.0 ± 0.0'
    # the near and far sets' own values (not their average), AUROC first
    neg = rows[('OOD NegLabel', 'AUROC near / far, FPR@95 near / far (open world, 96 px)')]
    assert neg['seeds'].split(' ; ')[1] == '62.0 / 82.0 / 90.0 / 50.0'
    # scores a run did not report are left out
    assert not any(method == 'OOD AdaNeg' for method, _ in rows)
    unseen = rows[('OVSNet, in-vocabulary classifier only (ablation)',
                   'mIoU, all 8 classes / the 2 unseen / hIoU')]
    assert unseen['seeds'].split(' ; ')[2] == '50.0 / 25.1 / 20.0'
    claims = {(c['claim'], c['metric']): c for c in summary['claims']}
    # ensemble 20.125 / 22.125 / 24.125 against 10.125 / 12.125 / 25.125
    ens = claims[('The ensemble beats the in-vocabulary classifier', 'unseen mIoU')]
    assert ens['seeds'] == '+10.00 ; +10.00 ; -1.00' and ens['holds'] == '2/3'
    assert claims[('The ignore-aware mask loss beats Mask2Former\'s', 'unseen mIoU')][
        'holds'] == '3/3 (established)'
    assert claims[('OVSNet (GFA + PC) beats the plain head', 'hIoU')]['difference'] == (
        '6.26 ± 0.00')
    # CSP 62 vs NegLabel 60 / 62 / 64 on the near set: holds for seed 0 only (seed 1's
    # difference is 0: a tie)
    assert claims[('CSP beats NegLabel (near OOD)', 'AUROC')]['holds'] == '1/3'
    assert claims[('CSP beats NegLabel (near OOD)', 'AUROC')]['seeds'] == (
        '+2.00 ; +0.00 ; -2.00')
    assert claims[('CSP beats NegLabel (near OOD)', 'FPR@95')]['holds'] == '3/3 (established)'
    # a difference of rounding size is a tie: CSP 90 against NegLabel 90 + 1e-13 on the far set
    # would otherwise count as a win for CSP
    summary_near_tie = tour.summary({0: {'ood/CSP/far/AUROC': 90.0 + 1e-13,
                                         'ood/NegLabel/far/AUROC': 90.0}})[1]
    tie = [c for c in summary_near_tie if c['claim'] == 'CSP beats NegLabel (far OOD)'][0]
    assert tie['holds'] == '0/1' and tie['seeds'] == '+0.00'
    # NegLabel 80 / 82 / 84 vs MCM 79 on the far set; 60 / 62 / 64 vs 70 on the near set
    assert claims[('NegLabel beats MCM (far OOD)', 'AUROC')]['holds'] == '3/3 (established)'
    assert claims[('NegLabel beats MCM (near OOD)', 'AUROC')]['holds'] == '0/3'
    assert claims[('SynOOD beats its ablation', 'AUROC')]['holds'] == '2/3'  # 58.25, 54.25, 50.25
    assert claims[('SeeCLIP beats its ablation', 'H-score')]['difference'] == '52.00 ± 2.00'
    assert claims[('SynOOD guidance lowers its loss', 'loss')]['holds'] == '3/3 (established)'
    assert 'GL-MCM beats MCM' not in {c['claim'] for c in summary['claims']}
    assert text.count('tools/test.py') >= 9 and 'seeds 0, 1, 2' in text


def test_seeded_config_points_at_the_seed_world_and_sets_every_seed(tmp_path):
    from mmengine.config import Config
    tour = _tour()
    root = str(tmp_path / 'qs-seed3')
    out = tour.seeded_config(tour.SEE_ON, 3, root, str(tmp_path / 'on.py'))
    cfg = Config.fromfile(out)
    assert cfg.randomness.seed == 3 and cfg.model.seed == 3
    assert cfg.pseudo_unknown_generation.seed == 3
    assert cfg.train_dataloader.dataset.seed == 3 and cfg.val_dataloader.dataset.seed == 3
    assert cfg.model.clip.weights == osp.join(root, 'tiny_clip_vit_osdg.safetensors')
    assert 'data/quickstart' not in open(out).read().replace(root, '')
    gen = Config.fromfile(tour.seeded_config(tour.SYN_GEN, 3, root, str(tmp_path / 'g.py')))
    assert gen.seed == 3 and gen.synood.inpaint_model == osp.join(root, 'tiny_inpaint')
    ood = Config.fromfile(tour.seeded_config(tour.OOD, 3, root, str(tmp_path / 'o.py')))
    seeded = {s['type']: s for s in ood.model.scores}
    assert seeded['NegLabelScore']['seed'] == 3 and seeded['AdaNegScore']['stream_seed'] == 3
    assert 'seed' not in seeded['MCMScore']


def test_worlds_and_missing_world_message(tmp_path):
    tour = _tour()
    assert tour.world_root('data/quickstart', 0) == 'data/quickstart'
    assert tour.world_root('data/quickstart/', 2) == 'data/quickstart-seed2'
    with pytest.raises(SystemExit, match='make quickstart-data'):
        tour.main(['--work-dir', str(tmp_path / 'w'), '--data', str(tmp_path / 'none'),
                   '--seeds', '0', '1'])
