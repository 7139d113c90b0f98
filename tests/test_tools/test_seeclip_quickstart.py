"""The SeeCLIP quickstart through the real tools, on a fresh world of seed ``MMOPEN_TEST_SEED``
(data, tiny CLIP ViT and tiny inpainting model made by the tools ``make quickstart-data`` runs):
trained with pseudo-unknowns it says "unknown" to the held-out style's unknown shapes, its
semantic tokens attend, the pseudo-unknown tool lowers its guidance loss and resumes, and one-
and two-process evaluation agree.

The margins below come from the quickstart tour over seeds 0, 1, 2 (the whole chain per seed;
README); each assertion holds for every one of them with the margin stated, and none asserts
one machine's value. What does *not* hold for every seed is not asserted: with pseudo-unknowns
the H-score beats the ablation's in seeds 1 and 2 (+52, +58) but not in seed 0 (-0.9), whose
ablation already calls 97.5% of the unknowns unknown.
"""
import json
import os
import os.path as osp

import pytest

from tests.conftest import TEST_SEED
from tests.tool_runner import load_tool, one_thread, run_ranks, run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join('configs', 'seeclip', 'quickstart')
OFF = osp.join(CFG_DIR, 'seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py')
ON = osp.join(CFG_DIR, 'seeclip_clip-tiny-vit_quickstart-shapes-cartoon_pseudo-unknowns.py')
# H-score of the held-out style with pseudo-unknowns minus the untrained model's: measured
# +24.7 / +51.8 / +42.9 (seeds 0 / 1 / 2; the untrained model's own H-score moves between 0 and
# 69 with the seed, as its random prompts happen to fall)
H_OVER_UNTRAINED = 12.0
# with pseudo-unknowns: unknown accuracy 100 / 37.5 / 82.5, known accuracy 87.5 / 83.8 / 70.0,
# AUROC of p_unknown 100 / 86.7 / 89.0
MIN_UNKNOWN_ACC, MIN_KNOWN_ACC, MIN_AUROC = 20.0, 55.0, 75.0
# the probe of the semantic tokens (with pseudo-unknowns and without): pairwise cosine of an
# image's 4 tokens 0.89-0.94, attention entropy 0.75-0.86 of log N, token spread 0.37-0.66.
# Tokens that are all the mean patch (the literal reading with free queries) give 0.995+, 0.99+
# and 0.02: the bars sit between, with room on both sides.
MAX_TOKEN_COS, MAX_ENTROPY, MIN_SPREAD = 0.97, 0.93, 0.2
# The pseudo-unknowns are generated 8 per call of the inpainting model (the tour: one at a
# time). The images are the same up to floating-point rounding (the generator treats each image
# of a batch alone; tests/test_synood/test_generate_tool.py compares the two), far below what a
# seed changes, and 3.4x faster on 2 cores.
GEN_BATCH = ['--batch-size', '8']


def _tour():
    return load_tool('tools/misc/quickstart_tour.py')


@pytest.fixture(scope='module')
def see(seeclip_assets):
    """The tour's SeeCLIP steps on the test world (the tour's seeded configs: every quickstart
    path pointed at the test world, every seed of the chain set to ``TEST_SEED``)."""
    root, env = seeclip_assets['root'], seeclip_assets['env']
    tour = _tour()
    off, on = (tour.seeded_config(c, TEST_SEED, root, osp.join(root, name))
               for c, name in ((OFF, 'off.py'), (ON, 'on.py')))
    work = osp.join(root, 'work')

    def test(cfg, ckpt, name):
        out = osp.join(work, f'{name}.json')
        run_tool(['tools/test.py', cfg, ckpt, '--work-dir', osp.join(work, name), '--json',
                  out], env)
        with open(out) as f:
            return json.load(f)

    res = dict(untrained=test(off, 'none', 'untrained'))
    run_tool(['tools/train.py', off, '--work-dir', osp.join(work, 'off')], env)
    res['off'] = test(off, f'best:{osp.join(work, "off")}', 'off_test')
    pseudo = osp.join(root, 'osdg_pseudo_unknowns')  # the config's out_dir
    gen = run_tool(['tools/seeclip/generate_pseudo_unknowns.py', on, '--checkpoint',
                    f'best:{osp.join(work, "off")}', '--no-progress'] + GEN_BATCH, env)
    run_tool(['tools/train.py', on, '--work-dir', osp.join(work, 'on')], env)
    res['on'] = test(on, f'best_osdg_hscore:{osp.join(work, "on")}', 'on_test')
    return dict(root=root, env=env, on=on, off=off, work=work, pseudo=pseudo, res=res,
                gen_log=gen.stdout)


def test_pseudo_unknowns_teach_the_held_out_style_what_is_unknown(see):
    res = see['res']
    untrained, off, on = res['untrained'], res['off'], res['on']
    print({k: {m: round(v, 3) for m, v in r.items()} for k, r in res.items()})
    assert on['osdg/hscore'] >= untrained['osdg/hscore'] + H_OVER_UNTRAINED
    assert on['osdg/unknown_acc'] >= MIN_UNKNOWN_ACC
    assert on['osdg/known_acc'] >= MIN_KNOWN_ACC and on['osdg/AUROC'] >= MIN_AUROC
    # the ablation learns the known classes (known accuracy 91.2 / 88.8 / 65.0 against the
    # untrained 58.8 / 77.5 / 36.2)
    assert off['osdg/known_acc'] > untrained['osdg/known_acc'] + 5
    for r in res.values():
        assert r['osdg/num_known_samples'] == 80 and r['osdg/num_unknown_samples'] == 40


def test_semantic_tokens_attend_to_different_parts(see):
    """The probe that fails when the tokens are inert: every token the mean patch (pairwise
    cosine ~1, spread ~0) under uniform attention (entropy ~1 of log N)."""
    for name in ('off', 'on'):
        r = see['res'][name]
        assert r['osdg/token_cos'] < MAX_TOKEN_COS, (name, r['osdg/token_cos'])
        assert r['osdg/token_spread'] > MIN_SPREAD, (name, r['osdg/token_spread'])
        assert r['osdg/attention_entropy'] < MAX_ENTROPY, (name, r['osdg/attention_entropy'])


def test_validation_holds_out_pseudo_unknowns_and_selects_on_the_source_h_score(see):
    logs = [osp.join(dp, f) for dp, _, fs in os.walk(osp.join(see['work'], 'on'))
            for f in fs if f.endswith('.log')]
    text = ''.join(open(p).read() for p in logs)
    # 12 held-out pseudo-unknowns in validation: the source H-score is measured
    assert 'num_unknown_samples 12' in text and 'hscore' in text
    names = sorted(f for f in os.listdir(osp.join(see['work'], 'on')) if f.startswith('best_'))
    assert [n.rsplit('_', 2)[0] for n in names] == ['best_osdg_hscore', 'best_osdg_known_acc']


def test_generation_lowers_the_token_distance_and_resumes(see):
    with open(osp.join(see['pseudo'], 'manifest.json')) as f:
        records = json.load(f)['records']
    assert len(records) == 4 * 4 * 3  # per_group x known classes x source styles
    first = [r['losses'][0] for r in records]
    last = [r['losses'][-1] for r in records]
    assert sum(last) / len(last) < 0.9 * sum(first) / len(first)
    assert sum(b < a for a, b in zip(first, last)) >= 0.9 * len(records)
    assert {r['domain'] for r in records} == {'photo', 'painting', 'sketch'}
    with open(osp.join(see['pseudo'], 'contact_sheet.html')) as f:
        page = f.read()  # each source next to its pseudo-unknown, class and domain named
    assert page.count('<tr><td>') == 48 and page.count(') -&gt; unknown') == 48
    assert 'contact sheet:' in see['gen_log']
    # a second run finds every item finished; other settings are refused
    again = run_tool(['tools/seeclip/generate_pseudo_unknowns.py', see['on'], '--checkpoint',
                      f'best:{osp.join(see["work"], "off")}', '--no-progress'] + GEN_BATCH,
                     see['env'])
    assert 'generated 0, kept 48 finished' in again.stdout
    bad = run_tool(['tools/seeclip/generate_pseudo_unknowns.py', see['on'], '--no-progress',
                    '--cfg-options', 'pseudo_unknown_generation.sigma=0.5'], see['env'],
                   check=False)
    assert bad.returncode != 0 and 'other settings' in bad.stderr


def test_single_and_two_process_evaluation_agree(see):
    env = dict(see['env'], OMP_NUM_THREADS='1')
    ckpt = f'best_osdg_hscore:{osp.join(see["work"], "on")}'
    single, double = (osp.join(see['work'], f'{n}.json') for n in ('single', 'double'))
    run_tool(['tools/test.py', see['on'], ckpt, '--work-dir', osp.join(see['work'], 's1'),
              '--json', single], env)
    run_ranks(['tools/test.py', see['on'], ckpt, '--work-dir', osp.join(see['work'], 's2'),
               '--json', double], 2, env)
    with open(single) as f:
        a = json.load(f)
    with open(double) as f:
        b = json.load(f)
    assert a.keys() == b.keys() and 'osdg/hscore' in a
    # batches of another size may round the last bit of a probability differently; a
    # prediction flips only if two classes tie to ~1e-7, and one flip moves an accuracy by
    # 1.25 points (80 known samples): the counts must match exactly, the values to 1e-6
    # (the token probe averages float32 per-image values: 1e-5)
    for k in a:
        tol = 1e-5 if k.split('/')[-1] in ('token_cos', 'token_spread', 'attention_entropy') \
            else 1e-6
        assert a[k] == pytest.approx(b[k], abs=tol), k


def test_osdg_inferencer_matches_tools_test(see):
    """``OSDGInferencer`` on the held-out style's test images, in the test loader's order and
    batches, gives ``tools/test.py``'s ``C + 1`` probabilities (dumped with ``--out``; same
    pipeline and batches, one thread: equal up to float32 rounding, 1e-6) and calls "unknown"
    exactly the images whose arg-max is the unknown column."""
    import pickle

    import numpy as np

    from mmopen.apis import OSDGInferencer
    ckpt = f'best_osdg_hscore:{osp.join(see["work"], "on")}'
    dump = osp.join(see['work'], 'preds.pkl')
    run_tool(['tools/test.py', see['on'], ckpt, '--work-dir', osp.join(see['work'], 'dump'),
              '--out', dump], dict(see['env'], OMP_NUM_THREADS='1'))
    with open(dump, 'rb') as f:
        ref = pickle.load(f)
    paths = [r['img_path'] for r in ref]
    with one_thread():
        osdg = OSDGInferencer(see['on'], ckpt, device='cpu', show_progress=False)
        rows = osdg(paths, batch_size=32, out_dir=osp.join(see['work'], 'osdg_out'))
    rows = rows['predictions']
    assert len(rows) == len(ref) == 120 and osdg.classes[-1] == 'unknown'
    probs = np.array([list(r['probabilities'].values()) for r in rows])
    want = np.stack([r['pred_score'].numpy() for r in ref])
    np.testing.assert_allclose(probs, want, rtol=0, atol=1e-6)
    for r, w in zip(rows, want):
        assert r['class'] == osdg.classes[int(w.argmax())]
        assert r['p_unknown'] == pytest.approx(float(w[-1]), abs=1e-6)
    unknown = sum(r['class'] == 'unknown' for r in rows)
    assert 0 < unknown < len(rows)
    with open(osp.join(see['work'], 'osdg_out', 'osdg_predictions.csv')) as f:
        assert len(f.read().splitlines()) == len(rows) + 1
