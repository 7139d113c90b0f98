"""model-index.yml, the per-method metafiles and READMEs: every config they name exists and is
one the config test builds (``tests/test_configs.py`` builds every file under configs/), every
paper config is listed, and each README's links resolve."""
import glob
import itertools
import os.path as osp
import re

import yaml

from tests.test_configs import CONFIGS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
METHODS = ('ovsnet', 'ood/neglabel', 'ood/csp', 'ood/adaneg', 'ood/glmcm', 'ood/deltaenergy',
           'ood/ebm', 'synood', 'seeclip')


def _metafiles():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    return {p: yaml.safe_load(open(osp.join(REPO, p))) for p in index['Import']}


def test_model_index_lists_every_method_and_every_paper_config():
    metas = _metafiles()
    assert sorted(metas) == sorted(f'configs/{m}/metafile.yml' for m in METHODS)
    built = {osp.relpath(p, REPO) for p in CONFIGS}
    listed = set()
    for path, meta in metas.items():
        names = {c['Name'] for c in meta['Collections']}
        for c in meta['Collections']:
            assert osp.isfile(osp.join(REPO, c['README'])), (path, c['README'])
            assert c['Paper']['Title'], path
        for m in meta['Models']:
            assert m['In Collection'] in names, (path, m['Name'])
            # it exists, and the config test builds it
            assert m['Config'] in built, (path, m['Config'])
            assert osp.basename(m['Config']) == m['Name'] + '.py', m
            assert 'Weights' not in m  # weights are the user's
            for r in m.get('Results', []):
                assert r['Metrics'] and all(isinstance(v, (int, float))
                                            for v in r['Metrics'].values())
            assert m['Config'] not in listed, m['Config']
            listed.add(m['Config'])
    # every paper config of a method folder (not its quickstart or _base_ files) is listed
    paper = {c for c in built if c.startswith('configs/') and '/quickstart/' not in c
             and any(c.startswith(f'configs/{m}/') for m in METHODS)}
    assert paper - listed == set()


def _expand(pattern):
    """``a-{x,y}.py`` -> ``['a-x.py', 'a-y.py']``."""
    parts = re.split(r'\{([^}]*)\}', pattern)
    choices = [[p] if i % 2 == 0 else p.split(',') for i, p in enumerate(parts)]
    return [''.join(c) for c in itertools.product(*choices)]


def test_method_readmes_name_configs_that_exist():
    for method in METHODS:
        folder = osp.join(REPO, 'configs', method)
        with open(osp.join(folder, 'README.md'), encoding='utf-8') as f:
            text = f.read()
        for section in ('## Results and configs', '## Usage', '## Citation' if method != 'ood/ebm'
                        else '## Verified here, and not'):
            assert section in text, (method, section)
        links = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', text)
        for link in links:
            if link.startswith('http'):
                continue
            assert osp.exists(osp.normpath(osp.join(folder, link))), (method, link)
        named = re.findall(r'[`\[(]((?:configs/)?[\w./{},-]+\.py)[`\])]', text)
        assert named, method
        for pattern in named:
            for name in _expand(pattern):
                if name.startswith(('tools/', 'mmopen/', 'benchmarks/', 'tests/')):
                    path = osp.join(REPO, name)
                elif name.startswith('configs/'):
                    path = osp.join(REPO, name)
                else:
                    path = osp.join(folder, name)
                    if not osp.isfile(path):  # named bare: a file of a sub-folder, or a tool
                        hits = glob.glob(osp.join(folder, '**', name), recursive=True) or [
                            h for top in ('tools', 'mmopen', 'benchmarks')
                            for h in glob.glob(osp.join(REPO, top, '**', name), recursive=True)]
                        path = hits[0] if hits else path
                assert osp.isfile(path), (method, name)


def test_top_readme_and_manual_links_resolve():
    for doc in ('README.md', 'docs/ood.md'):
        with open(osp.join(REPO, doc), encoding='utf-8') as f:
            links = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', f.read())
        assert links, doc
        for link in links:
            if not link.startswith('http'):
                target = osp.normpath(osp.join(REPO, osp.dirname(doc), link))
                assert osp.exists(target), (doc, link)
