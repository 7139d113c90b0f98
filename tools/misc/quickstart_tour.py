"""The quickstart tour: mmopen's methods on the bundled synthetic data, each step a real run of
``tools/train.py`` / ``tools/test.py``, ending with one summary table.

    python tools/misc/quickstart_tour.py [--work-dir work_dirs/quickstart] [--resume]

``make quickstart`` runs it after writing the data (``make quickstart-data``). Steps:

1. OVSNet: train on the 6 seen classes of the segmentation set;
2. evaluate over the training vocabulary (the seen classes);
3. evaluate over a vocabulary with the 2 classes it never trained on (mIoU over all 8 classes,
   over the unseen ones, and hIoU);
4. zero-shot OOD detection with the tiny CLIP: NegLabel, ΔEnergy and the baselines, both metric
   conventions;
5. SynOOD: generate near-boundary OOD images from the ID training images with the tiny
   inpainting model (guided by the tiny CLIP's energy), fine-tune in two stages (the residual
   projection; the mined negative labels' features), and evaluate NegLabel with the tuned
   features against NegLabel with the same negatives untuned (SynOOD's ablation);
6. SeeCLIP: open-set domain generalisation on the shapes in four styles, tested on the held-out
   cartoon style with two unknown shapes: the untrained prompt learner, training without
   pseudo-unknowns (the ablation), pseudo-unknowns generated with that run's semantic tokens,
   and training with them.

Each step's output goes to ``WORK/<step>.log`` and its metrics to ``WORK/<step>.json``;
``--resume`` skips steps whose metrics are already there (a re-run without it redoes all).
The table is printed and written to ``WORK/summary.md`` and ``WORK/summary.json``.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

OVS = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py'
OVS_SEEN = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_eval-seen.py'
OOD = 'configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py'
OOD_CSP = 'configs/ood/quickstart/clip-tiny-convnext_csp_quickstart.py'
SYN_GEN = 'configs/synood/quickstart/synood_generate_quickstart.py'
SYN_S1 = 'configs/synood/quickstart/synood_clip-tiny-convnext_stage1-projection_quickstart.py'
SYN_S2 = 'configs/synood/quickstart/synood_clip-tiny-convnext_stage2-neg-features_quickstart.py'
SYN_DATA = 'data/quickstart/synood'
SEE_OFF = 'configs/seeclip/quickstart/seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py'
SEE_ON = ('configs/seeclip/quickstart/'
          'seeclip_clip-tiny-vit_quickstart-shapes-cartoon_pseudo-unknowns.py')
OOD_SCORES = ('NegLabel', 'AdaNeg', 'DeltaEnergy', 'MCM', 'GL-MCM', 'MSP', 'MaxLogit',
              'Energy')


class Step(NamedTuple):
    name: str
    what: str
    args: List[str]   # the command, relative to the repository
    result: str       # the JSON file the step writes ('' for training)
    done: str = ''    # for steps without a result: the file that marks them finished
    fresh: str = ''   # a folder removed before the step runs (its output, made anew)


def steps(work: str, synood_data: str = SYN_DATA) -> List[Step]:
    ovs_work = osp.join(work, 'ovsnet')
    s1_work, s2_work = osp.join(work, 'synood_stage1'), osp.join(work, 'synood_stage2')
    off_work, on_work = osp.join(work, 'seeclip_off'), osp.join(work, 'seeclip_on')
    pseudo = osp.join(work, 'seeclip_pseudo_unknowns')
    return [
        Step('ovsnet_train', 'OVSNet: train on the 6 seen classes (300 iterations)',
             ['tools/train.py', OVS, '--work-dir', ovs_work], '',
             osp.join(ovs_work, 'last_checkpoint')),
        Step('ovsnet_seen', 'OVSNet: evaluate over the training vocabulary',
             ['tools/test.py', OVS_SEEN, f'last:{ovs_work}', '--work-dir',
              osp.join(work, 'ovsnet_seen'), '--json', osp.join(work, 'ovsnet_seen.json')],
             osp.join(work, 'ovsnet_seen.json')),
        Step('ovsnet_open', 'OVSNet: evaluate over all 8 classes, 2 of them unseen',
             ['tools/test.py', OVS, f'last:{ovs_work}', '--work-dir',
              osp.join(work, 'ovsnet_open'), '--json', osp.join(work, 'ovsnet_open.json')],
             osp.join(work, 'ovsnet_open.json')),
        Step('ood_zero_shot', 'Zero-shot OOD detection (every score, both conventions; '
             'leaderboard CSV / Markdown and the raw scores)',
             ['tools/test.py', OOD, 'none', '--work-dir', osp.join(work, 'ood'), '--json',
              osp.join(work, 'ood.json'), '--csv', osp.join(work, 'ood.csv'), '--markdown',
              osp.join(work, 'ood.md'), '--save-scores', osp.join(work, 'ood_scores')],
             osp.join(work, 'ood.json')),
        Step('ood_csp', 'Zero-shot OOD detection with CSP\'s conjugated semantic pool',
             ['tools/test.py', OOD_CSP, 'none', '--work-dir', osp.join(work, 'ood_csp'),
              '--json', osp.join(work, 'ood_csp.json')], osp.join(work, 'ood_csp.json')),
        Step('synood_generate', 'SynOOD: 40 near-boundary OOD images from the ID training set '
             '(resumable)', ['tools/synood/generate.py', SYN_GEN, '--out', synood_data,
                             '--no-progress'], '',
             osp.join(REPO, synood_data, 'manifest.json')),
        Step('synood_stage1', 'SynOOD stage 1: the residual projection (ID + synthetic images)',
             ['tools/train.py', SYN_S1, '--work-dir', s1_work], '',
             osp.join(s1_work, 'last_checkpoint')),
        Step('synood_stage2', 'SynOOD stage 2: the mined negative labels\' features (synthetic '
             'images)', ['tools/train.py', SYN_S2, '--work-dir', s2_work], '',
             osp.join(s2_work, 'last_checkpoint')),
        Step('synood_untuned', 'NegLabel with the same negatives, untuned (SynOOD\'s ablation)',
             ['tools/test.py', SYN_S2, 'none', '--work-dir', osp.join(work, 'synood_untuned'),
              '--json', osp.join(work, 'synood_untuned.json')],
             osp.join(work, 'synood_untuned.json')),
        Step('synood_tuned', 'NegLabel with the stage-2 features (SynOOD)',
             ['tools/test.py', SYN_S2, f'last:{s2_work}', '--work-dir',
              osp.join(work, 'synood_tuned'), '--json', osp.join(work, 'synood_tuned.json')],
             osp.join(work, 'synood_tuned.json')),
        Step('seeclip_untrained', 'SeeCLIP: the untrained prompt learner on the held-out style',
             ['tools/test.py', SEE_OFF, 'none', '--work-dir', osp.join(work, 'seeclip_untrained'),
              '--json', osp.join(work, 'seeclip_untrained.json')],
             osp.join(work, 'seeclip_untrained.json')),
        Step('seeclip_train_off', 'SeeCLIP: train on 3 styles without pseudo-unknowns (12 epochs)',
             ['tools/train.py', SEE_OFF, '--work-dir', off_work], '',
             osp.join(off_work, 'last_checkpoint')),
        Step('seeclip_off', 'SeeCLIP without pseudo-unknowns: the held-out style',
             ['tools/test.py', SEE_OFF, f'best:{off_work}', '--work-dir',
              osp.join(work, 'seeclip_off_test'), '--json', osp.join(work, 'seeclip_off.json')],
             osp.join(work, 'seeclip_off.json')),
        Step('seeclip_generate', 'SeeCLIP: 48 pseudo-unknowns from perturbed semantic tokens '
             '(resumable)', ['tools/seeclip/generate_pseudo_unknowns.py', SEE_ON, '--checkpoint',
                             f'best:{off_work}', '--out', pseudo, '--no-progress'], '',
             osp.join(pseudo, 'manifest.json'), pseudo),
        Step('seeclip_train_on', 'SeeCLIP: train with the pseudo-unknowns (12 epochs)',
             ['tools/train.py', SEE_ON, '--work-dir', on_work, '--cfg-options',
              f'train_dataloader.dataset.pseudo_unknowns={pseudo}'], '',
             osp.join(on_work, 'last_checkpoint')),
        Step('seeclip_on', 'SeeCLIP with pseudo-unknowns: the held-out style',
             ['tools/test.py', SEE_ON, f'best:{on_work}', '--work-dir',
              osp.join(work, 'seeclip_on_test'), '--json', osp.join(work, 'seeclip_on.json')],
             osp.join(work, 'seeclip_on.json')),
    ]


def command(step: Step) -> str:
    """The step's command line, paths inside the repository relative to it."""
    def rel(a):
        if '=' in a and not a.startswith(REPO):  # a --cfg-options key=PATH
            key, value = a.split('=', 1)
            return f'{key}={rel(value)}'
        for prefix in ('', 'last:', 'best:'):
            if a.startswith(prefix + REPO + os.sep):
                return prefix + osp.relpath(a[len(prefix):], REPO)
        return a

    return 'python ' + ' '.join(shlex.quote(rel(a)) for a in step.args)


def run(step: Step, work: str, index: int, total: int, resume: bool = False) -> float:
    log = osp.join(work, f'{step.name}.log')
    print(f'[{index}/{total}] {step.what}\n      {command(step)}', flush=True)
    start = time.time()
    if step.fresh and osp.isdir(step.fresh) and not resume:  # --resume: finish it instead
        import shutil
        shutil.rmtree(step.fresh)
    with open(log, 'w') as f:
        proc = subprocess.run([sys.executable] + step.args, cwd=REPO, stdout=f,
                              stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=REPO))
    spent = time.time() - start
    if proc.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'{tail}\nStep {step.name!r} failed (exit {proc.returncode}) after '
                         f'{spent:.0f} s; its whole output is in {log}.')
    print(f'      done in {spent:.0f} s (log: {log})', flush=True)
    return spent


def summary_rows(work: str, by_name: Dict[str, Step]) -> List[dict]:
    def load(name):
        with open(by_name[name].result) as f:
            return json.load(f)

    seen, opened, ood = load('ovsnet_seen'), load('ovsnet_open'), load('ood_zero_shot')
    ood.update({k: v for k, v in load('ood_csp').items() if k.startswith('CSP/')})
    rows = [
        dict(method='OVSNet', metric='mIoU, training vocabulary (6 seen classes)',
             value=f'{seen["mIoU"]:.2f}', command=command(by_name['ovsnet_seen'])),
        dict(method='OVSNet', metric='mIoU, open vocabulary (8 classes)',
             value=f'{opened["mIoU"]:.2f}', command=command(by_name['ovsnet_open'])),
        dict(method='OVSNet', metric='mIoU of the 2 unseen classes / hIoU',
             value=f'{opened["mIoU_unseen"]:.2f} / {opened["hIoU"]:.2f}',
             command=command(by_name['ovsnet_open'])),
    ]
    for conv in ('hendrycks', 'openood'):
        for score in OOD_SCORES[:1] + ('CSP', ) + OOD_SCORES[1:]:
            auroc = ood.get(f'{score}/average/{conv}/AUROC')
            fpr = ood.get(f'{score}/average/{conv}/FPR95')
            if auroc is None:
                continue
            rows.append(dict(method=f'OOD {score}',
                             metric=f'AUROC / FPR@95, mean of 2 OOD sets ({conv})',
                             value=f'{auroc:.2f} / {fpr:.2f}',
                             command=command(by_name['ood_csp' if score == 'CSP' else
                                                     'ood_zero_shot'])))
    with open(by_name['synood_generate'].done) as f:
        records = json.load(f)['records']
    first = sum(r['losses'][0] for r in records) / len(records)
    last = sum(r['losses'][-1] for r in records) / len(records)
    rows.append(dict(method='SynOOD generation',
                     metric=f'OOD loss (eq. 7), unguided -> {len(records[0]["losses"]) - 1} '
                     'guided iterations, mean of the images', value=f'{first:.2f} -> {last:.2f}',
                     command=command(by_name['synood_generate'])))
    for name, label in (('synood_untuned', 'NegLabel, negatives untuned (ablation)'),
                        ('synood_tuned', 'NegLabel, SynOOD stage-2 features')):
        res = load(name)
        rows.append(dict(method=f'SynOOD: {label}',
                         metric='AUROC / FPR@95, mean of 2 OOD sets (hendrycks)',
                         value=f'{res["NegLabel/average/hendrycks/AUROC"]:.2f} / '
                         f'{res["NegLabel/average/hendrycks/FPR95"]:.2f}',
                         command=command(by_name[name])))
    for name, label in (('seeclip_untrained', 'untrained'),
                        ('seeclip_off', 'without pseudo-unknowns (ablation)'),
                        ('seeclip_on', 'with pseudo-unknowns')):
        res = load(name)
        rows.append(dict(method=f'SeeCLIP, {label}',
                         metric='H-score / known acc / unknown acc / AUROC, held-out style',
                         value=f'{res["osdg/hscore"]:.2f} / {res["osdg/known_acc"]:.2f} / '
                         f'{res["osdg/unknown_acc"]:.2f} / {res["osdg/AUROC"]:.2f}',
                         command=command(by_name[name])))
    return rows


def format_table(rows: List[dict]) -> str:
    cols = ('method', 'metric', 'value', 'command')
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    line = '| ' + ' | '.join(c.ljust(width[c]) for c in cols) + ' |'
    sep = '|' + '|'.join('-' * (width[c] + 2) for c in cols) + '|'
    body = ['| ' + ' | '.join(r[c].ljust(width[c]) for c in cols) + ' |' for r in rows]
    return '\n'.join([line, sep] + body)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/quickstart')
    p.add_argument('--resume', action='store_true',
                   help='skip steps whose metrics file exists (and training with a checkpoint)')
    args = p.parse_args(argv)
    from mmopen.utils.io import write_json_atomic, write_text_atomic
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    plan = steps(work)
    by_name = {s.name: s for s in plan}
    start = time.time()
    timings = {}
    for i, step in enumerate(plan, 1):
        done = osp.isfile(step.result or step.done)
        if args.resume and done:
            print(f'[{i}/{len(plan)}] {step.what}: done earlier, skipped (--resume)')
            continue
        timings[step.name] = run(step, work, i, len(plan), args.resume)
    rows = summary_rows(work, by_name)
    table = format_table(rows)
    total = time.time() - start
    text = (f'mmopen quickstart tour (synthetic data, tiny CLIP pre-trained on it; these numbers '
            f'show that each method runs and learns here, not how it does with real CLIP '
            f'weights)\n\n{table}\n\nTotal {total:.0f} s.\n')
    write_text_atomic(text, osp.join(work, 'summary.md'))
    write_json_atomic(dict(rows=rows, seconds=timings), osp.join(work, 'summary.json'))
    print('\n' + text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
