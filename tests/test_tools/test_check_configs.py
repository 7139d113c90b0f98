"""Every architecture family of the paper configs built at its real size (random weights of the
real CLIP / diffusion / classifier architecture, nothing downloaded) and run one iteration on
synthetic data in the config's real layout, at reduced input size
(``tools/misc/check_configs.py --reduced``): a shape or key mismatch in a real-size config fails
here. ``README`` gives the same tool's full-size table. The random real-size weights are written
once per machine (``~/.cache/mmopen/check_configs``), and so are their class text embeddings
(``text_cache/`` there): the first run on a machine encodes every vocabulary with the real-size
text towers, later runs reuse the embeddings while weights, templates and classes match.

Not run here: the EBM configs (the same ViT-B/16 CLIP as the OOD and SeeCLIP rows; their
1000-class prompt learning back-propagates through the text tower for every class, ~20 GB peak
on CPU), and the remaining configs of each family (the full table covers them)."""
import json
import os
import os.path as osp

import pytest

from tests.tool_runner import load_tool, run_tool

# the first run on a machine encodes every vocabulary with real-size text towers on the CPU
pytestmark = pytest.mark.timeout(3600)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# one config per architecture family and data layout
FAMILIES = {
    'configs/ovsnet/ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py': 'CLIP convnext_base_w',
    'configs/ovsnet/ovsnet_clip-convnext-l_8xb1-60k_coco-panoptic-133.py':
        'CLIP convnext_large_d_320',
    'configs/ovsnet/ovsnet_clip-convnext-b_eval-pc459.py': 'CLIP convnext_base_w',
    'configs/ovsnet/ovsnet_clip-convnext-b_eval-voc20.py': 'CLIP convnext_base_w',  # VOC lists
    'configs/ood/neglabel/clip-vit-b16_zero-shot-ood_imagenet-neglabel-protocol.py':
        'CLIP ViT-B-16',
    'configs/seeclip/seeclip_clip-vit-b16_pacs-target-sketch.py': 'CLIP ViT-B-16',
    'configs/synood/synood_clip-vit-b16_stage1-projection_imagenet.py': 'CLIP ViT-B-16',
    'configs/synood/generate/synood_sd2-inpainting_resnet50_imagenet.py':
        'CLIP ViT-B-16, SD-2-inpainting, resnet50_8xb32_in1k',
}
# published parameter counts of the real architectures (millions): a tiny model swapped in,
# or a tower built from another config, misses them
CLIP_VIT_B16 = 149.62        # OpenAI CLIP ViT-B/16, image + text towers
# stable-diffusion-2-inpainting's UNet 865.91 + VAE 83.65 + OpenCLIP ViT-H text tower 340.39,
# and the ResNet-50 that guides generation, 25.56
SD2_INPAINT_AND_RESNET50 = 865.91 + 83.65 + 340.39 + 25.56


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    default_cache = load_tool('tools/misc/real_size.py').default_cache
    work = tmp_path_factory.mktemp('check_configs')
    cmd = ['tools/misc/check_configs.py', '--reduced', '--timeout', '1200', '--work-dir',
           str(work)] + [osp.join(REPO, c) for c in FAMILIES]
    # the text embeddings of the random real-size CLIPs are kept beside their weights, as the
    # weights are: encoding the vocabularies (459 classes for Pascal-Context, 10,000 negative
    # labels) with real-size text towers costs minutes per run and depends only on the
    # weights, templates and classes (the embedding cache's key)
    env = dict(os.environ, MMOPEN_CACHE_DIR=osp.join(default_cache(), 'text_cache'))
    # in this process (each config in a process forked from it, as the tool runs them)
    proc = run_tool(cmd, env, check=False)
    out = {}
    for name in os.listdir(work / 'rows'):
        with open(work / 'rows' / name) as f:
            row = json.load(f)
        out[row['config']] = row
    logs = {c: (work / 'logs' / (osp.splitext(osp.basename(c))[0] + '-reduced.log'))
            for c in FAMILIES}
    return out, logs, proc


@pytest.mark.parametrize('config', list(FAMILIES))
def test_family_runs_at_real_architecture(rows, config):
    found, logs, proc = rows
    if config not in found:
        log = logs[config].read_text()[-3000:] if logs[config].exists() else proc.stdout[-3000:]
        pytest.fail(f'{config} did not run:\n{log}')
    row = found[config]
    assert set(row['architecture'].split(', ')) == set(FAMILIES[config].split(', '))
    assert row['reduced'] is True and row['iter_s'] > 0 and row['peak_rss_gb'] > 0
    if row['kind'] == 'train':
        assert 0 < row['trainable_m'] < row['params_m']  # the CLIP stays frozen
    if config.startswith('configs/ood/'):
        assert abs(row['params_m'] - CLIP_VIT_B16) < 0.05
    if 'convnext-l' in config:
        assert row['params_m'] > found[next(iter(FAMILIES))]['params_m'] + 100
    if row['kind'] == 'generate':
        assert abs(row['params_m'] - SD2_INPAINT_AND_RESNET50) < 0.1


def test_every_paper_config_architecture_is_a_checked_family():
    """A paper config with an architecture none of the rows above builds fails here."""
    from mmengine.config import Config

    import mmopen  # noqa: F401
    real_size = load_tool('tools/misc/real_size.py')
    architectures, config_kind, paper_configs = (real_size.architectures, real_size.config_kind,
                                                 real_size.paper_configs)
    checked = {a for arch in FAMILIES.values() for a in arch.split(', ')}
    for path in paper_configs(REPO):
        cfg = Config.fromfile(path)
        part = cfg.synood if config_kind(cfg) == 'generate' else cfg.model
        missing = set(architectures(part)) - checked
        assert not missing, f'{osp.relpath(path, REPO)} uses {missing}: add it to FAMILIES'
