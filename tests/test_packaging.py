"""The package as users install it: a wheel that carries every data file the code reads, and
modules that import on their own, without import cycles."""
import ast
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PKG = osp.join(REPO, 'mmopen')


def package_modules():
    mods = []
    for root, _, files in os.walk(PKG):
        for f in sorted(files):
            if f.endswith('.py'):
                rel = osp.relpath(osp.join(root, f), REPO)[:-3].replace(os.sep, '.')
                mods.append(rel[:-len('.__init__')] if rel.endswith('.__init__') else rel)
    return sorted(mods)


def _source(module):
    """The source file of a module, relative to the repository (``a/b.py`` or
    ``a/b/__init__.py``)."""
    rel = module.replace('.', '/')
    return rel + '.py' if osp.isfile(osp.join(REPO, rel + '.py')) else rel + '/__init__.py'


def data_files():
    """Every file under mmopen/ that is not Python source: what the code opens at run time
    (vocabularies, open_clip model configs) and their documentation."""
    out = []
    for root, _, files in os.walk(PKG):
        for f in files:
            if not f.endswith(('.py', '.pyc')):
                out.append(osp.relpath(osp.join(root, f), REPO).replace(os.sep, '/'))
    return sorted(out)


def test_the_code_reads_the_data_files_we_ship():
    """The files the library opens by path are where the listing above finds them."""
    from mmopen.clip.tiny import MODEL_CONFIG_DIR
    from mmopen.clip.vocabularies import VOCAB_DIR, list_vocabularies
    files = data_files()
    assert {f'mmopen/clip/vocabularies/{v}.txt' for v in list_vocabularies()} <= set(files)
    assert {osp.relpath(osp.join(MODEL_CONFIG_DIR, f), REPO)
            for f in os.listdir(MODEL_CONFIG_DIR)} <= set(files)
    assert osp.dirname(osp.relpath(VOCAB_DIR, REPO)) == 'mmopen/clip'


def _build_wheel(tmp_path):
    # built from a copy of what a clone has, so that a build/ folder left by an earlier local
    # build cannot add stale files
    import shutil
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), src / name)
    for name in ('mmopen', 'requirements', 'configs'):
        shutil.copytree(osp.join(REPO, name), src / name,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '.mim'))
    out = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                          '--no-build-isolation', '-q', '-w', str(tmp_path), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    wheels = [f for f in os.listdir(tmp_path) if f.endswith('.whl')]
    assert len(wheels) == 1, wheels
    names = set(zipfile.ZipFile(tmp_path / wheels[0]).namelist())
    missing = [f for f in data_files() if f not in names]
    assert not missing, f'data files missing from the wheel: {missing}'
    sources = [_source(m) for m in package_modules()]
    assert not [s for s in sources if s not in names]
    assert not [n for n in names if n.startswith(('tests/', 'tools/', 'configs/'))]
    # the configs travel inside the package, as OpenMMLab's do (mmopen/.mim/configs)
    configs = {osp.relpath(osp.join(root, f), REPO).replace(os.sep, '/')
               for root, _, files in os.walk(osp.join(REPO, 'configs')) for f in files
               if f.endswith(('.py', '.md', '.yml'))}
    assert not [c for c in configs if f'mmopen/.mim/{c}' not in names]
    return tmp_path / wheels[0]


def test_wheel_ships_every_module_and_data_file(tmp_path):
    _build_wheel(tmp_path)


def test_config_names_resolve_from_the_installed_wheel_outside_the_checkout(tmp_path):
    """``list_models`` / ``find_config`` used to walk the checkout's configs/, which a wheel
    leaves out: after ``pip install`` no name resolved. The wheel goes into a folder of its own
    (ahead of the editable checkout on the import path) and is asked from another folder."""
    (tmp_path / 'build').mkdir()
    wheel = _build_wheel(tmp_path / 'build')
    target = tmp_path / 'site'
    out = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                          '--no-index', '--target', str(target), str(wheel)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    code = '''
import mmopen
from mmengine.config import Config
from mmopen.apis.base import CONFIG_ROOT, find_config, list_models
assert mmopen.__file__.startswith(SITE), mmopen.__file__
names = list_models('ovsnet')
assert 'ovsnet_clip-tiny-convnext_quickstart' in names, names
cfg = Config.fromfile(find_config('ovsnet_clip-tiny-convnext_quickstart'))
print(CONFIG_ROOT, len(names), cfg.model.type)
'''.replace('SITE', repr(str(target)))
    away = tmp_path / 'elsewhere'
    away.mkdir()
    run = subprocess.run([sys.executable, '-c', code], cwd=away, capture_output=True,
                         text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(target)))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    root, count, model = run.stdout.split()[-3:]
    assert root == str(target / 'mmopen' / '.mim' / 'configs') and int(count) >= 4


def _imports(path, module):
    """The mmopen modules ``module`` imports, at any depth of its code (a deferred import
    inside a function still makes a cycle, it only hides it)."""
    tree = ast.parse(open(path).read())
    package = module if path.endswith('__init__.py') else module.rsplit('.', 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith('mmopen')}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                name = '.'.join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ''
            if name.startswith('mmopen'):
                found.add(name)
                found |= {f'{name}.{a.name}' for a in node.names}
    return found


def test_no_import_cycles_between_modules():
    """A module graph over every import (top-level or deferred) between mmopen's modules,
    package __init__ files excluded (they gather their children by design); it must be
    acyclic. The cycle clip.build -> clip.tiny -> clip.tiny_pretrain -> clip.model -> clip.build
    was held together by a deferred import."""
    modules = set(package_modules())
    graph = {}
    packages = {m for m in modules if _source(m).endswith('__init__.py')}
    for m in modules - packages:
        graph[m] = {i for i in _imports(osp.join(REPO, _source(m)), m)
                    if i in modules and i != m and i not in packages}
    state, stack = {}, []

    def visit(m):
        state[m] = 'open'
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 'open':
                cycle = stack[stack.index(n):] + [n]
                pytest.fail('import cycle: ' + ' -> '.join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 'done'

    for m in sorted(graph):
        if m not in state:
            visit(m)


FORK_IMPORTS = r"""
import importlib, os, sys
# the third-party stack first (the slow part), so each module's own import is what is tested
import torch, torchvision, mmengine, mmcv, mmdet, mmseg, mmpretrain, open_clip, timm  # noqa
# what mmopen.compat.guard_mmpretrain_multimodal does first on `import mmopen` (transformers 5
# breaks mmpretrain's BLIP imports), done by hand: no mmopen module may be loaded here
from mmpretrain.utils import dependency
dependency.WITH_MULTIMODAL = False
import mmseg.models, mmpretrain.models, mmdet.models  # noqa
assert not [m for m in sys.modules if m.split('.')[0] == 'mmopen']
# `import mmopen.a.b` runs mmopen/__init__ first, which imports most modules itself: a child that
# imports the package tells which; importing one of those alone is that child's import again
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    try:
        importlib.import_module('mmopen')
    except BaseException as e:  # noqa
        print(f'mmopen: {type(e).__name__}: {e}', flush=True)
        os._exit(1)
    os.write(w, '\n'.join(m for m in sys.modules if m.split('.')[0] == 'mmopen').encode())
    os._exit(0)
os.close(w)
with os.fdopen(r) as f:
    loaded = set(f.read().split('\n'))
_, status = os.waitpid(pid, 0)
failed = ['mmopen'] if status else []
print(f'{len(loaded)} modules loaded by the package itself', flush=True)
for name in [n for n in sys.argv[1:] if status or n not in loaded]:
    pid = os.fork()
    if pid == 0:  # a child with no mmopen module loaded yet
        try:
            importlib.import_module(name)
        except BaseException as e:  # noqa
            print(f'{name}: {type(e).__name__}: {e}', flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
sys.exit(1 if failed else 0)
"""


def test_each_module_imports_alone_in_a_fresh_interpreter():
    """Each module imported on its own into an interpreter that holds no mmopen module (a fresh
    interpreter with the third-party stack already imported, forked once per module; the
    modules ``import mmopen`` loads itself share that one import, which importing any of them
    runs first)."""
    out = subprocess.run([sys.executable, '-c', FORK_IMPORTS] + package_modules(), cwd=REPO,
                         capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
