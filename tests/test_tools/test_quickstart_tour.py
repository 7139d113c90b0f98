"""The quickstart tour's summary: each row reads the key the step's tool writes (checked on
metrics files in the tools' own formats)."""
import importlib.util
import json
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tour():
    spec = importlib.util.spec_from_file_location(
        'quickstart_tour', osp.join(REPO, 'tools', 'misc', 'quickstart_tour.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_summary_rows_and_table(tmp_path):
    tour = _tour()
    plan = tour.steps(str(tmp_path), synood_data=str(tmp_path / 'synood'))
    by_name = {s.name: s for s in plan}
    assert [s.args[0] for s in plan] == (['tools/train.py'] + ['tools/test.py'] * 4 +
                                         ['tools/synood/generate.py'] +
                                         ['tools/train.py'] * 2 + ['tools/test.py'] * 2 +
                                         ['tools/test.py', 'tools/train.py', 'tools/test.py',
                                          'tools/seeclip/generate_pseudo_unknowns.py',
                                          'tools/train.py', 'tools/test.py'])
    files = dict(
        ovsnet_seen=dict(aAcc=90.0, mIoU=81.25, mAcc=88.0),
        ovsnet_open=dict(aAcc=80.0, mIoU=55.5, mAcc=70.0, mIoU_seen=70.0, mIoU_unseen=20.125,
                         hIoU=31.26),
        ood_zero_shot={'id_accuracy/top1': 90.0, 'NegLabel/average/hendrycks/AUROC': 97.5,
                       'NegLabel/average/hendrycks/FPR95': 12.0,
                       'NegLabel/average/openood/AUROC': 97.5,
                       'NegLabel/average/openood/FPR95': 11.0},
        ood_csp={'id_accuracy/top1': 90.0, 'CSP/average/openood/AUROC': 98.125,
                 'CSP/average/openood/FPR95': 9.0})
    files['synood_untuned'] = {'NegLabel/average/hendrycks/AUROC': 51.0,
                               'NegLabel/average/hendrycks/FPR95': 97.0}
    files['synood_tuned'] = {'NegLabel/average/hendrycks/AUROC': 58.25,
                             'NegLabel/average/hendrycks/FPR95': 93.5}
    for name, (h, k, u, a) in dict(seeclip_untrained=(0.0, 33.75, 0.0, 15.41),
                                   seeclip_off=(0.0, 91.25, 0.0, 84.625),
                                   seeclip_on=(67.91, 88.75, 55.0, 81.94)).items():
        files[name] = {'osdg/hscore': h, 'osdg/known_acc': k, 'osdg/unknown_acc': u,
                       'osdg/AUROC': a, 'osdg/closed_acc': 92.5}
    for name, metrics in files.items():
        with open(by_name[name].result, 'w') as f:
            json.dump(metrics, f)
    (tmp_path / 'synood').mkdir()
    with open(by_name['synood_generate'].done, 'w') as f:  # the generator's manifest
        json.dump(dict(records=[dict(losses=[-12.0, -13.0, -14.0, -15.0]),
                                dict(losses=[-11.0, -12.0, -13.0, -14.5])]), f)
    rows = tour.summary_rows(str(tmp_path), by_name)
    values = {(r['method'], r['metric']): r['value'] for r in rows}
    assert values[('OVSNet', 'mIoU, training vocabulary (6 seen classes)')] == '81.25'
    assert values[('OVSNet', 'mIoU of the 2 unseen classes / hIoU')] == '20.12 / 31.26'
    assert values[('OOD NegLabel', 'AUROC / FPR@95, mean of 2 OOD sets (openood)')] == (
        '97.50 / 11.00')
    assert values[('SynOOD: NegLabel, SynOOD stage-2 features',
                   'AUROC / FPR@95, mean of 2 OOD sets (hendrycks)')] == '58.25 / 93.50'
    gen = [v for (m, _), v in values.items() if m == 'SynOOD generation']
    assert gen == ['-11.50 -> -14.75']
    assert values[('SeeCLIP, with pseudo-unknowns',
                   'H-score / known acc / unknown acc / AUROC, held-out style')] == (
        '67.91 / 88.75 / 55.00 / 81.94')
    assert values[('SeeCLIP, without pseudo-unknowns (ablation)',
                   'H-score / known acc / unknown acc / AUROC, held-out style')] == (
        '0.00 / 91.25 / 0.00 / 84.62')
    csp = [(r['value'], r['command']) for r in rows if r['method'] == 'OOD CSP']
    assert csp == [('98.12 / 9.00', tour.command(by_name['ood_csp']))]
    assert len(rows) == 3 + 3 + 3 + 3  # the scores a run did not report are left out
    on = by_name['seeclip_train_on']
    assert tour.command(on).endswith(
        'train_dataloader.dataset.pseudo_unknowns=' + str(tmp_path / 'seeclip_pseudo_unknowns'))
    table = tour.format_table(rows)
    assert table.count('\n') == len(rows) + 1 and 'tools/test.py' in table
