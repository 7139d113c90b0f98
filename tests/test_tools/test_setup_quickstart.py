"""The quickstart's set-up driver (tools/misc/setup_quickstart.py) and the inpainting model's
tool: a world's steps run in one process in order, a step the CLIP has not outdated is skipped, a
finished world is stamped and then skipped whole, a failing step is named with the log that has
its output; the inpainting tool trains on the union of several data folders and names a folder
without data."""
import json
import os
import os.path as osp

import pytest

from tests.tool_runner import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TOOL = '''
import json, os, sys
def main(argv):
    out, code = argv[0], int(argv[1])
    with open(out + '.calls', 'a') as f:
        f.write(json.dumps(argv) + '\\n')
    if code:
        print('step output before failing')
        raise SystemExit(code)
    if not os.path.exists(out):  # as the real tools, an up-to-date output is left alone
        open(out, 'w').close()
    return 0
'''


@pytest.fixture
def setup(tmp_path, monkeypatch):
    tool = tmp_path / 'fake_tool.py'
    tool.write_text(TOOL)
    mod = load_tool('tools/misc/setup_quickstart.py')
    root = tmp_path / 'world'
    root.mkdir()
    fail = {'code': 0}

    def plan(r, seed):
        return [('data', [str(tool), osp.join(r, 'data.done'), '0', '--seed', str(seed)], ''),
                ('tiny CLIP (ConvNeXt)', [str(tool), osp.join(r, 'tiny_clip_convnext.safetensors'),
                                          '0'], ''),
                ('pool', [str(tool), osp.join(r, 'pool.txt'), str(fail['code'])], 'pool.txt')]

    monkeypatch.setattr(mod, 'plan', plan)
    monkeypatch.setattr(mod, 'MAKERS', ())
    return mod, str(root), fail


def _calls(root, name):
    path = osp.join(root, name + '.calls')
    return open(path).read().splitlines() if osp.exists(path) else []


def test_a_world_runs_its_steps_in_order_and_is_stamped(setup):
    mod, root, _ = setup
    seen = []
    mod.build_world(root, 3, lambda step, secs: seen.append((step, secs is None)))
    assert [s for s, _ in seen] == ['data', 'tiny CLIP (ConvNeXt)', 'pool']
    assert not any(skipped for _, skipped in seen)
    assert mod.up_to_date(root, 3) and not mod.up_to_date(root, 4)
    # the pool is newer than the CLIP: a second pass skips it (the tools decide the others)
    seen.clear()
    mod.build_world(root, 3, lambda step, secs: seen.append((step, secs is None)))
    assert seen[-1] == ('pool', True) and len(_calls(root, 'pool.txt')) == 1


def test_a_failing_step_names_itself_and_the_log(setup):
    mod, root, fail = setup
    fail['code'] = 3
    with pytest.raises(RuntimeError, match=r'seed 0: pool failed \(exit 3\).*setup\.log'):
        mod.build_world(root, 0, lambda *a: None)
    assert not osp.exists(mod.stamp_path(root))


def test_make_tiny_inpaint_trains_on_every_folder_given(quickstart_data, tmp_path, monkeypatch):
    tool = load_tool('tools/misc/make_tiny_inpaint.py')
    got = {}

    def fake_write(out, images, prompts, **kwargs):
        got.update(images=images, prompts=prompts, **kwargs)
        os.makedirs(out)
        return out

    monkeypatch.setattr(tool, 'write_tiny_inpaint', fake_write)
    other = tmp_path / 'other'
    other.mkdir()
    with pytest.raises(SystemExit, match=str(other)):
        tool.main(['--out', str(tmp_path / 'm0'), '--pretrain-on', quickstart_data, str(other)])
    monkeypatch.setattr(tool, 'quickstart_pairs',
                        lambda d: ([d + '/a.png'], [f'prompt of {osp.basename(d)}']))
    (other / 'manifest.json').write_text(json.dumps(dict(kind='osdg')))
    assert tool.main(['--out', str(tmp_path / 'm1'), '--pretrain-on', quickstart_data,
                      str(other), '--vae-steps', '3', '--unet-steps', '4']) == 0
    assert got['prompts'] == [f'prompt of {osp.basename(quickstart_data)}', 'prompt of other']
    assert (got['vae_steps'], got['unet_steps']) == (3, 4)
    recipe = got['extra_files']['mmopen_recipe.json']
    assert [d.get('kind') for d in recipe['data']] == [None, 'osdg']


def test_the_context_scenes_are_what_their_prompts_name(quickstart_data):
    """SynOOD's part of the inpainting model's training set: 16 context scenes per ID class,
    each prompt naming the object drawn (its colour covers part of the image, the other
    object's hardly any) and the scene's background."""
    import numpy as np

    from mmopen.quickstart.quickstart_data import CONTEXT_OBJECTS, SEG_BACKGROUNDS
    from mmopen.quickstart.tiny_diffusion import quickstart_pairs
    images, prompts = quickstart_pairs(quickstart_data)
    with open(osp.join(quickstart_data, 'cls', 'imagenet', 'meta', 'classes.txt')) as f:
        assert len(images) == 16 * sum(1 for line in f if line.strip())
    colours = {c[0].split(',')[0]: np.array(c[2]) for c in CONTEXT_OBJECTS}
    scenes = {c[0].split(',')[0] for c in SEG_BACKGROUNDS}
    for img, prompt in zip(images, prompts):
        obj, scene = prompt[len('A photo only remain '):-1].split(', ')
        assert obj in colours and scene in scenes, prompt
        pixels = img.reshape(-1, 3).astype(float)
        near = {k: (np.abs(pixels - c).sum(1) < 60).mean() for k, c in colours.items()}
        assert near[obj] > 0.05 and near[obj] > 3 * max(v for k, v in near.items() if k != obj)
    assert {p.split(' ')[4].rstrip(',') for p in prompts} == set(colours)


def test_a_world_process_that_cannot_start_is_reported(tmp_path):
    """The driver runs each world in a process of its own; one that dies before its first step
    (here its folder is a file) is reported with its seed, and the run fails."""
    mod = load_tool('tools/misc/setup_quickstart.py')
    root = tmp_path / 'qs'
    (tmp_path / 'qs-seed5').write_text('not a folder')
    with pytest.raises(SystemExit, match=r"seed 5: the world's process failed"):
        mod.main(['--seeds', '5', '--root', str(root)])
