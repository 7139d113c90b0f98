"""The quickstart tour: mmopen's methods on the bundled synthetic worlds, each step a real run of
``tools/train.py`` / ``tools/test.py`` / a generation tool, the whole chain once per seed, ending
with one summary table of mean +- std over the seeds.

    python tools/misc/quickstart_tour.py [--work-dir work_dirs/quickstart] [--seeds 0 1 2]
        [--data data/quickstart] [--jobs N] [--resume]

``make quickstart`` runs it after writing one world per seed (``make quickstart-data``,
:mod:`tools.misc.setup_quickstart`: seed 0 in ``data/quickstart``, seed ``s`` in
``data/quickstart-seed<s>``, each with its own data, tiny models and mined negatives). A
result that one chain on one machine produced proves little (floating point differs between
machines, and every tiny model downstream moves with it), so every row is the mean +- std over
the seeds, and every "X beats its ablation" row says in how many seeds it holds. Steps, per
seed:

1. OVSNet: train on the 6 seen classes of the segmentation set, then evaluate over the training
   vocabulary and over all 8 classes (2 never trained on: their mIoU and hIoU), with and
   without FC-CLIP's ensemble; its two ablations trained the same way (the plain head without
   GFA and PC, Mask2Former's mask loss that counts the ignored unseen objects as background);
   and the frozen CLIP classifying the ground-truth regions (the ceiling for unseen classes);
2. zero-shot OOD detection with the tiny CLIP on the open world (its near-OOD and far-OOD
   sets): NegLabel, CSP, AdaNeg, GL-MCM, ΔEnergy and the baselines;
3. SynOOD: generate near-boundary OOD images from the ID training images with the tiny
   inpainting model, tune the mined negatives' features (stage 2) and evaluate NegLabel with
   them against the same negatives untuned (SynOOD's ablation);
4. SeeCLIP: on a held-out style with two unknown shapes, the untrained prompt learner, training
   without pseudo-unknowns (the ablation), pseudo-unknowns generated with that run's semantic
   tokens, training with them, and the checkpoint chosen by each selection rule.

The seeds run at once, one process each with one thread (``--jobs`` limits how many): each
process runs its steps in-process, the tools' ``main`` with the arguments the printed commands
show (seed ``s > 0`` runs copies of the configs pointed at its world, with its seed, written to
``WORK/seed<s>/configs``). Each seed's output goes to ``WORK/seed<s>/tour.log``, its metrics to
``WORK/seed<s>/<step>.json``; ``--resume`` skips steps whose results are there. The table is
printed and written to ``WORK/summary.md`` and ``WORK/summary.json``.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import shutil
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

OVS = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py'
OVS_SEEN = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_eval-seen.py'
OVS_PLAIN_HEAD = 'configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_plain-head.py'
OVS_PLAIN_LOSS = ('configs/ovsnet/quickstart/'
                  'ovsnet_clip-tiny-convnext_quickstart_plain-mask-loss.py')
OOD = 'configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py'
OOD_CSP = 'configs/ood/quickstart/clip-tiny-convnext_csp_quickstart.py'
SYN_GEN = 'configs/synood/quickstart/synood_generate_quickstart.py'
SYN_S2 = 'configs/synood/quickstart/synood_clip-tiny-convnext_stage2-neg-features_quickstart.py'
SEE_OFF = 'configs/seeclip/quickstart/seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py'
SEE_ON = ('configs/seeclip/quickstart/'
          'seeclip_clip-tiny-vit_quickstart-shapes-cartoon_pseudo-unknowns.py')
CONFIGS = (OVS, OVS_SEEN, OVS_PLAIN_HEAD, OVS_PLAIN_LOSS, OOD, OOD_CSP, SYN_GEN, SYN_S2, SEE_OFF,
           SEE_ON)
DATA = 'data/quickstart'  # the path every quickstart config names
OOD_SETS = ('near', 'far')  # the open world's OOD sets (configs/ood/_base_/datasets)
OOD_SCORES = ('NegLabel', 'CSP', 'AdaNeg', 'GL-MCM', 'MCM', 'DeltaEnergy', 'MSP', 'MaxLogit',
              'Energy')
TOOLS = dict(train='tools/train.py', test='tools/test.py', synood='tools/synood/generate.py',
             seeclip='tools/seeclip/generate_pseudo_unknowns.py')


class Step(NamedTuple):
    name: str
    what: str
    args: List[str]    # the command after `python`, paths relative to the repository
    result: str        # the JSON file the step writes ('' for training and generation)
    done: str = ''     # for steps without a result: the file that marks them finished
    fresh: str = ''    # a folder removed before the step runs (made anew; kept by --resume)


def world_root(data: str, seed: int) -> str:
    """Seed ``seed``'s world (:func:`tools.misc.setup_quickstart.world_root`)."""
    return data if seed == 0 else f'{data.rstrip("/")}-seed{seed}'


def seed_dir(work: str, seed: int) -> str:
    return osp.join(work, f'seed{seed}')


def config_of(work: str, seed: int, config: str) -> str:
    """The config seed ``seed`` runs: the repository's for seed 0, else its seeded copy."""
    return config if seed == 0 else osp.join(seed_dir(work, seed), 'configs',
                                             osp.basename(config))


def steps(work: str, seed: int = 0, data: str = DATA) -> List[Step]:
    """Seed ``seed``'s steps (``work`` is the tour's work dir, ``data`` seed 0's world)."""
    w = seed_dir(work, seed)
    root = world_root(data, seed)

    def cfg(c):
        return config_of(work, seed, c)

    def out(name):
        return osp.join(w, f'{name}.json')

    def train(name, what, config, work_dir):
        return Step(name, what, ['tools/train.py', cfg(config), '--work-dir', work_dir], '',
                    osp.join(work_dir, 'last_checkpoint'))

    def evaluate(name, what, config, ckpt, *extra, work_dir=None):
        return Step(name, what, ['tools/test.py', cfg(config), ckpt, '--work-dir',
                                 osp.join(w, work_dir or name), '--json', out(name), *extra],
                    out(name))

    ovs, s2 = osp.join(w, 'ovsnet'), osp.join(w, 'synood_stage2')
    plain_head, plain_loss = osp.join(w, 'ovsnet_plain_head'), osp.join(w, 'ovsnet_plain_loss')
    off, on = osp.join(w, 'seeclip_off'), osp.join(w, 'seeclip_on')
    syn_data = osp.join(root, 'synood')
    pseudo = osp.join(root, 'osdg_pseudo_unknowns')  # the SeeCLIP config's out_dir
    return [
        train('ovsnet_train', 'OVSNet: train on the 6 seen classes', OVS, ovs),
        evaluate('ovsnet_seen', 'OVSNet: evaluate over the training vocabulary', OVS_SEEN,
                 f'last:{ovs}'),
        evaluate('ovsnet_open', 'OVSNet: evaluate over all 8 classes, 2 of them unseen', OVS,
                 f'last:{ovs}'),
        evaluate('ovsnet_in_vocab', 'OVSNet without the ensemble: the trained (in-vocabulary) '
                 'classifier alone', OVS, f'last:{ovs}', '--cfg-options',
                 'model.decode_head.ensemble=None'),
        evaluate('ovsnet_clip_regions', 'The frozen CLIP classifying the ground-truth regions '
                 '(no trained weight: the ceiling for unseen classes)', OVS, 'none',
                 '--cfg-options', 'model.test_cfg.masks=ground_truth'),
        train('ovsnet_plain_head_train', 'OVSNet ablation: the plain head (no GFA, no PC)',
              OVS_PLAIN_HEAD, plain_head),
        evaluate('ovsnet_plain_head', 'The plain head over all 8 classes', OVS_PLAIN_HEAD,
                 f'last:{plain_head}'),
        train('ovsnet_plain_loss_train', 'OVSNet ablation: Mask2Former\'s mask loss (ignored '
              'pixels as background)', OVS_PLAIN_LOSS, plain_loss),
        evaluate('ovsnet_plain_loss', 'OVSNet with Mask2Former\'s mask loss over all 8 '
                 'classes', OVS_PLAIN_LOSS, f'last:{plain_loss}'),
        evaluate('ood_zero_shot', 'Zero-shot OOD detection (every score, both conventions; '
                 'leaderboard CSV / Markdown and the raw scores)', OOD, 'none', '--csv',
                 osp.join(w, 'ood.csv'), '--markdown', osp.join(w, 'ood.md'), '--save-scores',
                 osp.join(w, 'ood_scores'), work_dir='ood'),
        evaluate('ood_csp', 'Zero-shot OOD detection with CSP\'s conjugated semantic pool',
                 OOD_CSP, 'none'),
        Step('synood_generate', 'SynOOD: 40 near-boundary OOD images from the ID training set',
             ['tools/synood/generate.py', cfg(SYN_GEN), '--out', syn_data, '--no-progress'], '',
             osp.join(syn_data, 'manifest.json')),
        train('synood_stage2', 'SynOOD stage 2: the mined negative labels\' features', SYN_S2,
              s2),
        evaluate('synood_untuned', 'NegLabel with the same negatives, untuned (SynOOD\'s '
                 'ablation)', SYN_S2, 'none'),
        evaluate('synood_tuned', 'NegLabel with the stage-2 features (SynOOD)', SYN_S2,
                 f'last:{s2}'),
        evaluate('seeclip_untrained', 'SeeCLIP: the untrained prompt learner on the held-out '
                 'style', SEE_OFF, 'none'),
        train('seeclip_train_off', 'SeeCLIP: train on 3 styles without pseudo-unknowns',
              SEE_OFF, off),
        evaluate('seeclip_off', 'SeeCLIP without pseudo-unknowns: the held-out style', SEE_OFF,
                 f'best:{off}', work_dir='seeclip_off_test'),
        Step('seeclip_generate', 'SeeCLIP: 48 pseudo-unknowns from perturbed semantic tokens',
             ['tools/seeclip/generate_pseudo_unknowns.py', cfg(SEE_ON), '--checkpoint',
              f'best:{off}', '--no-progress'], '', osp.join(pseudo, 'manifest.json'), pseudo),
        train('seeclip_train_on', 'SeeCLIP: train with the pseudo-unknowns', SEE_ON, on),
        evaluate('seeclip_on', 'SeeCLIP with pseudo-unknowns (selected by the source H-score)',
                 SEE_ON, f'best_osdg_hscore:{on}', work_dir='seeclip_on_test'),
        evaluate('seeclip_on_known_acc', 'SeeCLIP with pseudo-unknowns (selected by the source '
                 'known accuracy)', SEE_ON, f'best_osdg_known_acc:{on}',
                 work_dir='seeclip_on_known_acc_test'),
    ]


# ------------------------------------------------------------------ seeded configs
def _seed_scores(scores, seed: int) -> None:
    for score in scores or ():
        if score.get('type') in ('NegLabelScore', 'CSPScore', 'AdaNegScore'):
            score['seed'] = seed  # the fixed permutation of the negatives into groups
        if score.get('type') == 'AdaNegScore':
            score['stream_seed'] = seed


def seeded_config(src: str, seed: int, root: str, out: str) -> str:
    """Write ``src`` (a repository config) for seed ``seed``: every ``data/quickstart`` path
    pointed at ``root``, and every seed the chain uses set to ``seed`` (the runner's, the
    prompt learner's, the data splits', the generators', the OOD scores' groups and
    streams)."""
    from mmengine.config import Config
    text = Config.fromfile(osp.join(REPO, src)).pretty_text.replace(DATA, root)
    cfg = Config.fromstring(text, '.py')
    if 'randomness' in cfg:
        cfg.randomness.seed = seed
    if 'synood' in cfg and 'seed' in cfg:  # SynOOD's generation config
        cfg.seed = seed
    if 'pseudo_unknown_generation' in cfg:
        cfg.pseudo_unknown_generation.seed = seed
    model = cfg.get('model') or {}
    if model.get('type') == 'SeeCLIPClassifier':
        model['seed'] = seed
    _seed_scores(model.get('scores'), seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset') or {}
        if ds.get('type') == 'OSDGDataset':
            ds['seed'] = seed
    os.makedirs(osp.dirname(out), exist_ok=True)
    cfg.dump(out)
    return out


# ------------------------------------------------------------------ running
def command(step: Step) -> str:
    """The step's command line, paths inside the repository relative to it."""
    def rel(a):
        for prefix in ('', 'last:', 'best:', 'best_osdg_hscore:', 'best_osdg_known_acc:'):
            if a.startswith(prefix + REPO + os.sep):
                return prefix + osp.relpath(a[len(prefix):], REPO)
        return a

    return 'python ' + ' '.join(shlex.quote(rel(a)) for a in step.args)


def run_worker(work: str, seed: int, data: str, resume: bool) -> int:
    """Run seed ``seed``'s steps in this process (stdout is its ``tour.log``); each step's start
    and end go to ``WORK/seed<s>/progress.jsonl``."""
    import torch

    from mmopen.utils.tool_main import call_main
    torch.set_num_threads(1)
    os.chdir(REPO)
    w = seed_dir(work, seed)
    if seed != 0:
        for c in CONFIGS:
            seeded_config(c, seed, world_root(data, seed), config_of(work, seed, c))
    progress = osp.join(w, 'progress.jsonl')

    def note(**event):
        with open(progress, 'a') as f:
            f.write(json.dumps(event) + '\n')

    for step in steps(work, seed, data):
        if resume and osp.isfile(step.result or step.done):
            note(step=step.name, event='kept')
            continue
        if step.fresh and osp.isdir(step.fresh) and not resume:
            shutil.rmtree(step.fresh)
        note(step=step.name, event='start')
        print(f'\n===== {step.name}: {command(step)}', flush=True)
        start = time.time()
        code = call_main(step.args[0], step.args[1:])
        if code != 0:
            note(step=step.name, event='failed', code=str(code))
            return 1
        note(step=step.name, event='done', seconds=round(time.time() - start, 1))
    return 0


def run_seeds(work: str, seeds: Sequence[int], data: str, jobs: int, resume: bool) -> Dict:
    """One worker process per seed (``jobs`` at a time), their progress printed as it comes."""
    names = [s.name for s in steps(work, 0, data)]
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    pending, running, seconds = list(seeds), {}, {}
    seen = {s: 0 for s in seeds}
    start = time.time()
    while pending or running:
        while pending and len(running) < jobs:
            seed = pending.pop(0)
            os.makedirs(seed_dir(work, seed), exist_ok=True)
            prog = osp.join(seed_dir(work, seed), 'progress.jsonl')
            if osp.exists(prog):
                os.remove(prog)
            log = open(osp.join(seed_dir(work, seed), 'tour.log'), 'w')
            cmd = [sys.executable, osp.abspath(__file__), '--worker', str(seed), '--work-dir',
                   work, '--data', data] + (['--resume'] if resume else [])
            running[seed] = (subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log,
                                              stderr=subprocess.STDOUT), log)
        time.sleep(1)
        for seed in list(running):
            prog = osp.join(seed_dir(work, seed), 'progress.jsonl')
            events = []
            if osp.exists(prog):
                with open(prog) as f:
                    events = [json.loads(line) for line in f if line.strip()]
            for e in events[seen[seed]:]:
                if e['event'] in ('done', 'kept'):
                    i = names.index(e['step']) + 1
                    took = f'done in {e["seconds"]:.0f} s' if e['event'] == 'done' else \
                        'done earlier (--resume)'
                    seconds.setdefault(seed, {})[e['step']] = e.get('seconds')
                    print(f'[seed {seed}] {i:2d}/{len(names)} {e["step"]}: {took} '
                          f'({time.time() - start:.0f} s so far)', flush=True)
            seen[seed] = len(events)
            proc, log = running[seed]
            if proc.poll() is None:
                continue
            log.close()
            del running[seed]
            if proc.returncode != 0:
                for other, (p, lg) in running.items():
                    p.kill()
                    lg.close()
                path = osp.join(seed_dir(work, seed), 'tour.log')
                with open(path) as f:
                    tail = f.read()[-3000:]
                failed = [e['step'] for e in events if e['event'] == 'failed']
                raise SystemExit(f'{tail}\nSeed {seed}: step {failed[-1] if failed else "?"} '
                                 f'failed; its whole output is in {path}.')
    return seconds


# ------------------------------------------------------------------ the summary
def _load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def seed_values(work: str, seed: int, data: str) -> Dict[str, float]:
    """Every number the table shows, for one seed, by row key."""
    by = {s.name: s for s in steps(work, seed, data)}

    def res(name):
        return _load(by[name].result)

    v = {}
    v['ovs/seen'] = res('ovsnet_seen')['mIoU']
    for name, key in (('ovsnet_open', 'open'), ('ovsnet_in_vocab', 'in_vocab'),
                      ('ovsnet_plain_head', 'plain_head'), ('ovsnet_plain_loss', 'plain_loss'),
                      ('ovsnet_clip_regions', 'clip_regions')):
        r = res(name)
        for k in ('mIoU', 'mIoU_unseen', 'hIoU'):
            v[f'ovs/{key}/{k}'] = r[k]
    ood = dict(res('ood_zero_shot'))
    ood.update({k: x for k, x in res('ood_csp').items() if k.startswith('CSP/')})
    for score in OOD_SCORES:
        for ood_set in OOD_SETS:
            for m in ('AUROC', 'FPR95'):
                key = f'{score}/{ood_set}/hendrycks/{m}'
                if key in ood:
                    v[f'ood/{score}/{ood_set}/{m}'] = ood[key]
    records = _load(by['synood_generate'].done)['records']
    v['synood/loss_unguided'] = float(np.mean([r['losses'][0] for r in records]))
    v['synood/loss_guided'] = float(np.mean([r['losses'][-1] for r in records]))
    # what the detector's CLIP names the synthetic images (their mined negative label): a
    # near-OOD context object, or a bare scene
    from mmopen.quickstart.quickstart_data import CONTEXT_OBJECTS, SEG_BACKGROUNDS
    for key, kind in (('near', CONTEXT_OBJECTS), ('scene', SEG_BACKGROUNDS)):
        words = {c[0].split(',')[0] for c in kind}
        v[f'synood/mined_{key}'] = 100.0 * float(np.mean([r['neg_label'] in words
                                                          for r in records]))
    for name in ('synood_untuned', 'synood_tuned'):
        r = res(name)
        for m in ('AUROC', 'FPR95'):
            v[f'{name}/{m}'] = r[f'NegLabel/average/hendrycks/{m}']
    for name in ('seeclip_untrained', 'seeclip_off', 'seeclip_on', 'seeclip_on_known_acc'):
        r = res(name)
        for m in ('hscore', 'known_acc', 'unknown_acc', 'AUROC', 'token_cos',
                  'attention_entropy'):
            v[f'{name}/{m}'] = r[f'osdg/{m}']
    return v


# (label, metric description, row keys joined by " / ", decimals)
ROWS = [
    ('OVSNet', 'mIoU, training vocabulary (6 seen classes)', ['ovs/seen'], 1),
] + [(label, 'mIoU, all 8 classes / the 2 unseen / hIoU',
       [f'ovs/{key}/{k}' for k in ('mIoU', 'mIoU_unseen', 'hIoU')], 1)
      for label, key in (
          ('OVSNet (GFA + PC, ensemble)', 'open'),
          ('OVSNet, in-vocabulary classifier only (ablation)', 'in_vocab'),
          ('OVSNet, plain head: no GFA, no PC (ablation)', 'plain_head'),
          ('OVSNet, Mask2Former\'s mask loss (ablation)', 'plain_loss'),
          ('Frozen CLIP on ground-truth regions (reference)', 'clip_regions'))] + [
    (f'OOD {s}', 'AUROC near / far, FPR@95 near / far (open world, 96 px)',
       [f'ood/{s}/{o}/{m}' for m in ('AUROC', 'FPR95') for o in OOD_SETS], 1)
      for s in OOD_SCORES] + [
    ('SynOOD generation', 'OOD loss, unguided / after the guidance',
     ['synood/loss_unguided', 'synood/loss_guided'], 2),
    ('SynOOD images', '% mined as a near-OOD object (kite, tire) / as a bare scene',
     ['synood/mined_near', 'synood/mined_scene'], 1),
    ('SynOOD: NegLabel, negatives untuned (ablation)', 'AUROC / FPR@95, mean of 2 OOD sets',
     ['synood_untuned/AUROC', 'synood_untuned/FPR95'], 1),
    ('SynOOD: NegLabel, stage-2 features', 'AUROC / FPR@95, mean of 2 OOD sets',
     ['synood_tuned/AUROC', 'synood_tuned/FPR95'], 1),
] + [(f'SeeCLIP, {label}', 'H-score / known acc / unknown acc / AUROC, held-out style',
      [f'{name}/{m}' for m in ('hscore', 'known_acc', 'unknown_acc', 'AUROC')], 1)
     for name, label in (('seeclip_untrained', 'untrained'),
                         ('seeclip_off', 'without pseudo-unknowns (ablation)'),
                         ('seeclip_on', 'with pseudo-unknowns'),
                         ('seeclip_on_known_acc',
                          'with pseudo-unknowns, selected by known acc'))] + [
    ('SeeCLIP semantic tokens', 'pairwise cosine / attention entropy (share of log N)',
     ['seeclip_on/token_cos', 'seeclip_on/attention_entropy'], 3),
]

# (claim, metric, method key, ablation key, higher is better)
CLAIMS = [
    ('OVSNet (GFA + PC) beats the plain head', 'hIoU', 'ovs/open/hIoU',
     'ovs/plain_head/hIoU', True),
    ('The ensemble beats the in-vocabulary classifier', 'unseen mIoU', 'ovs/open/mIoU_unseen',
     'ovs/in_vocab/mIoU_unseen', True),
    ('The ignore-aware mask loss beats Mask2Former\'s', 'unseen mIoU',
     'ovs/open/mIoU_unseen', 'ovs/plain_loss/mIoU_unseen', True),
    *[(f'{method} beats {ablation} ({o} OOD)', label, f'ood/{mk}/{o}/{m}', f'ood/{ak}/{o}/{m}',
       hi)
      for method, mk, ablation, ak in (
          ('NegLabel', 'NegLabel', 'MCM', 'MCM'), ('CSP', 'CSP', 'NegLabel', 'NegLabel'),
          ('AdaNeg', 'AdaNeg', 'NegLabel', 'NegLabel'), ('GL-MCM', 'GL-MCM', 'MCM', 'MCM'),
          ('ΔEnergy', 'DeltaEnergy', 'MCM', 'MCM'))
      for o in OOD_SETS
      for m, label, hi in (('AUROC', 'AUROC', True), ('FPR95', 'FPR@95', False))],
    ('SynOOD guidance lowers its loss', 'loss', 'synood/loss_guided', 'synood/loss_unguided',
     False),
    ('SynOOD beats its ablation', 'AUROC', 'synood_tuned/AUROC', 'synood_untuned/AUROC', True),
    ('SynOOD beats its ablation', 'FPR@95', 'synood_tuned/FPR95', 'synood_untuned/FPR95',
     False),
    ('SeeCLIP beats the untrained model', 'H-score', 'seeclip_on/hscore',
     'seeclip_untrained/hscore', True),
    ('SeeCLIP beats its ablation', 'H-score', 'seeclip_on/hscore', 'seeclip_off/hscore', True),
    ('SeeCLIP beats its ablation', 'AUROC', 'seeclip_on/AUROC', 'seeclip_off/AUROC', True),
    ('Source-H selection beats known-acc selection', 'H-score', 'seeclip_on/hscore',
     'seeclip_on_known_acc/hscore', True),
]


def _mean_std(values: Sequence[float], decimals: int) -> str:
    a = np.asarray(values, dtype=float)
    std = a.std(ddof=1) if len(a) > 1 else 0.0
    return f'{a.mean():.{decimals}f} ± {std:.{decimals}f}'


def summary(per_seed: Dict[int, Dict[str, float]]):
    """The table rows and the claim rows, over the seeds given."""
    seeds = sorted(per_seed)
    rows = []
    for label, metric, keys, d in ROWS:
        if not all(k in per_seed[s] for k in keys for s in seeds):
            continue
        value = ' / '.join(_mean_std([per_seed[s][k] for s in seeds], d) for k in keys)
        each = ' ; '.join(' / '.join(f'{per_seed[s][k]:.{d}f}' for k in keys) for s in seeds)
        rows.append(dict(method=label, metric=metric, value=value, seeds=each))
    claims = []
    for claim, metric, a, b, higher in CLAIMS:
        if not all(a in per_seed[s] and b in per_seed[s] for s in seeds):
            continue
        diff = [per_seed[s][a] - per_seed[s][b] for s in seeds]
        # a seed counts when its difference, as the table shows it (2 decimals), is on the
        # claimed side: two scores equal up to rounding (+0.00) are a tie, not a win
        holds = sum((round(x, 2) > 0) if higher else (round(x, 2) < 0) for x in diff)
        claims.append(dict(claim=claim, metric=metric, difference=_mean_std(diff, 2),
                           seeds=' ; '.join(f'{x:+.2f}' for x in diff),
                           holds=f'{holds}/{len(seeds)}' + (' (established)'
                                                            if holds == len(seeds) else '')))
    return rows, claims


def format_table(rows: List[dict], cols: Sequence[str], heads: Sequence[str]) -> str:
    width = {c: max(len(h), *(len(r[c]) for r in rows)) for c, h in zip(cols, heads)}
    line = '| ' + ' | '.join(h.ljust(width[c]) for c, h in zip(cols, heads)) + ' |'
    sep = '|' + '|'.join('-' * (width[c] + 2) for c in cols) + '|'
    body = ['| ' + ' | '.join(r[c].ljust(width[c]) for c in cols) + ' |' for r in rows]
    return '\n'.join([line, sep] + body)


def report(work: str, seeds: Sequence[int], data: str, seconds: Optional[Dict] = None,
           total: Optional[float] = None) -> str:
    from mmopen.utils.io import write_json_atomic, write_text_atomic
    per_seed = {s: seed_values(work, s, data) for s in seeds}
    rows, claims = summary(per_seed)
    seed_list = ', '.join(str(s) for s in seeds)
    plan = steps(work, seeds[0], data)
    commands = '\n'.join(f'{i:2d}. {command(s)}' for i, s in enumerate(plan, 1))
    text = (f'mmopen quickstart tour: each method\'s whole chain (data, tiny-model pre-training, '
            f'mining, training, generation) once per seed ({seed_list}); mean ± std over the '
            f'seeds, then each seed\'s value. Synthetic worlds and tiny models: these numbers '
            f'show whether each mechanism acts here, not how the methods do with real CLIP '
            f'weights.\n\n'
            + format_table(rows, ('method', 'metric', 'value', 'seeds'),
                           ('method', 'metric', 'mean ± std', f'seeds {seed_list}'))
            + '\n\nAgainst the ablation (difference, method minus ablation; "established" when '
            'it holds for every seed):\n\n'
            + format_table(claims, ('claim', 'metric', 'difference', 'seeds', 'holds'),
                           ('claim', 'metric', 'difference', f'seeds {seed_list}', 'holds'))
            + f'\n\nThe commands of seed {seeds[0]} (the other seeds run copies of the configs '
            f'in {osp.relpath(seed_dir(work, 1), REPO) if len(seeds) > 1 else "-"}/configs '
            f'pointed at their own world):\n\n{commands}\n'
            + sheets_text(contact_sheets(data, seeds))
            + (f'\nTotal {total:.0f} s.\n' if total is not None else ''))
    write_text_atomic(text, osp.join(work, 'summary.md'))
    write_json_atomic(dict(seeds=list(seeds), rows=rows, claims=claims, values={
        str(s): v for s, v in per_seed.items()}, seconds=seconds or {}),
        osp.join(work, 'summary.json'))
    return text


def contact_sheets(data: str, seeds: Sequence[int]) -> List[Tuple[int, str, str]]:
    """``(seed, what, path)`` of the contact sheets the generation steps wrote (PNG and HTML:
    each source image next to the image generated from it)."""
    out = []
    for seed in seeds:
        root = world_root(data, seed)
        for what, folder in (('SynOOD', 'synood'), ('SeeCLIP', 'osdg_pseudo_unknowns')):
            for ext in ('png', 'html'):
                path = osp.join(root, folder, f'contact_sheet.{ext}')
                if osp.isfile(path):
                    out.append((seed, what, path))
    return out


def sheets_text(sheets: List[Tuple[int, str, str]]) -> str:
    if not sheets:
        return ''
    lines = [f'  seed {s}, {what}: {osp.relpath(path, REPO)}' for s, what, path in sheets]
    return ('\nContact sheets (each source image next to the image generated from it, with its '
            'label and the guidance loss before and after):\n' + '\n'.join(lines) + '\n')


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/quickstart')
    p.add_argument('--data', default=DATA, help='seed 0\'s world (seed s: DATA-seed<s>)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--jobs', type=int, help='seeds run at once (default: all)')
    p.add_argument('--resume', action='store_true',
                   help='skip steps whose results exist (training with a checkpoint)')
    p.add_argument('--worker', type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    work = osp.abspath(args.work_dir)
    data = args.data if osp.isabs(args.data) else osp.join(REPO, args.data)
    if args.worker is not None:
        return run_worker(work, args.worker, data, args.resume)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise SystemExit(f'--seeds {args.seeds}: give distinct seeds >= 0.')
    missing = [world_root(data, s) for s in args.seeds
               if not osp.isfile(osp.join(world_root(data, s), 'manifest.json'))]
    if missing:
        raise SystemExit(f'No quickstart world in {missing}: run `make quickstart-data '
                         f'QS_SEEDS="{" ".join(map(str, args.seeds))}"` first.')
    os.makedirs(work, exist_ok=True)
    start = time.time()
    plan = steps(work, args.seeds[0], data)
    print(f'The quickstart tour: {len(plan)} steps per seed, seeds {args.seeds}, '
          f'{args.jobs or len(args.seeds)} at a time (logs: {seed_dir(work, args.seeds[0])}'
          '/tour.log and siblings)', flush=True)
    seconds = run_seeds(work, args.seeds, data, args.jobs or len(args.seeds), args.resume)
    text = report(work, args.seeds, data, seconds, time.time() - start)
    print('\n' + text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
