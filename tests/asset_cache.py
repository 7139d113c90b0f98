"""A machine-local cache of the test suite's pre-trained inputs (the quickstart worlds and the
tiny CLIP / inpainting models pre-trained on them), keyed by what made them.

The tiny models stand where a real project's tests would download a checkpoint: they are
inputs to the tests, deterministic in the code that builds them and the seed. A cache entry's
key is the SHA-256 of the asset's name and parameters, the Python and torch versions, and the
contents of every source file its builder reads: the builder's own files and, transitively, the
``mmopen`` modules they import (:func:`import_closure`, read from the import statements). Change
any of those files and the next run builds the asset again; change anything else (a head, a
metric, a test) and it is reused.

Entries live in ``$MMOPEN_TEST_ASSETS`` (default ``~/.cache/mmopen/test-assets``), one folder
``<name>-<key>`` each, written to a temporary folder and renamed, under a per-asset file lock so
that concurrent builders (two ``make test`` runs, pytest workers) build it once. Tests copy an
entry into their own temporary folder before writing anything into it.
"""
import ast
import fcntl
import hashlib
import json
import os
import os.path as osp
import platform
import shutil
import sys
import time
from importlib import metadata
from typing import Callable, Dict, Iterable, List, Optional

PACKAGE = 'mmopen'
# ``import mmopen`` registers every component (its submodules) and applies the compatibility
# fixes; only the latter act on what a builder computes, so the top-level package's imports are
# followed into these modules alone.
TOP_LEVEL_FOLLOWED = ('compat', 'version')


def default_root() -> str:
    return os.environ.get('MMOPEN_TEST_ASSETS',
                          osp.join(osp.expanduser('~'), '.cache', 'mmopen', 'test-assets'))


def _module_file(repo: str, dotted: str) -> Optional[str]:
    """The source file of ``mmopen.a.b`` in ``repo`` (a module or a package's ``__init__``)."""
    base = osp.join(repo, *dotted.split('.'))
    for path in (base + '.py', osp.join(base, '__init__.py')):
        if osp.isfile(path):
            return path
    return None


def _package_of(repo: str, path: str) -> str:
    """The dotted package a file's relative imports resolve against."""
    rel = osp.relpath(path, repo)[:-len('.py')].split(os.sep)
    return '.'.join(rel[:-1])


def _imported_modules(repo: str, path: str) -> List[str]:
    """The ``mmopen`` modules ``path`` imports (absolute or relative), as dotted names; ``from
    pkg import name`` also names ``pkg.name`` in case it is a submodule."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    out = []
    package = _package_of(repo, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split('.')
                base = parts[:len(parts) - node.level + 1] if node.level > 1 else parts
                mod = '.'.join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ''
            out.append(mod)
            out += [f'{mod}.{a.name}' for a in node.names]
    return [m for m in out if m == PACKAGE or m.startswith(PACKAGE + '.')]


def import_closure(repo: str, files: Iterable[str]) -> List[str]:
    """``files`` and every ``mmopen`` source file they import, transitively (relative to
    ``repo``, sorted).

    A module imported by name (``import mmopen.a.b``, ``from mmopen.a import name``) is followed
    into its own imports. Its parent packages' ``__init__.py`` files run too and are included,
    but their imports are followed only where a builder imports from the package itself: a
    package's ``__init__`` re-exports its modules, and a builder reads only the ones it names.
    The top-level ``mmopen/__init__.py`` registers every component; it is followed into
    :data:`TOP_LEVEL_FOLLOWED` only (the compatibility fixes it applies)."""
    top = osp.join(repo, PACKAGE, '__init__.py')
    included, followed = set(), set()
    todo = [(osp.abspath(f), True) for f in files]
    while todo:
        path, follow = todo.pop()
        included.add(path)
        if path == top:
            follow = True
        if not follow or path in followed:
            continue
        followed.add(path)
        for dotted in _imported_modules(repo, path):
            parts = dotted.split('.')
            if path == top and (len(parts) < 2 or parts[1] not in TOP_LEVEL_FOLLOWED):
                continue
            for i in range(1, len(parts) + 1):
                found = _module_file(repo, '.'.join(parts[:i]))
                if found:
                    todo.append((found, i == len(parts)))
    return sorted(osp.relpath(p, repo) for p in included)


def _files_digest(repo: str, files: Iterable[str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b'\0')
        with open(osp.join(repo, rel), 'rb') as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return 'absent'


class AssetCache:
    """Build-once storage for named assets.

    Args:
        repo: the repository root the builders' source files are read from.
        root: the cache folder (:func:`default_root` when None).
        log: where progress lines go.
    """

    def __init__(self, repo: str, root: Optional[str] = None,
                 log: Callable[[str], None] = print):
        self.repo = osp.abspath(repo)
        self.root = root or default_root()
        self.log = log

    def key(self, name: str, params: Dict, sources: Iterable[str]) -> Dict:
        """What an entry is keyed by: ``{'key', 'name', 'params', 'files', 'versions'}``."""
        files = import_closure(self.repo, [osp.join(self.repo, s) for s in sources])
        versions = dict(python=platform.python_version(), torch=_version('torch'),
                        diffusers=_version('diffusers'), open_clip=_version('open_clip_torch'),
                        numpy=_version('numpy'), pillow=_version('pillow'))
        blob = json.dumps(dict(name=name, params=params, versions=versions,
                               files=_files_digest(self.repo, files)), sort_keys=True)
        return dict(key=hashlib.sha256(blob.encode()).hexdigest()[:16], name=name, params=params,
                    files=files, versions=versions)

    def path(self, name: str, params: Dict, sources: Iterable[str]) -> str:
        return osp.join(self.root, f'{name}-{self.key(name, params, sources)["key"]}')

    def get(self, name: str, params: Dict, sources: Iterable[str],
            build: Callable[[str], None]) -> str:
        """The folder of asset ``name``: built by ``build(folder)`` unless an entry with the
        same key exists. ``params`` (JSON-serialisable) are what ``build`` is called with;
        ``sources`` (repository-relative files) are where its code is."""
        info = self.key(name, params, sources)
        final = osp.join(self.root, f'{name}-{info["key"]}')
        done = osp.join(final, 'mmopen_asset.json')
        if osp.isfile(done):
            return final
        os.makedirs(self.root, exist_ok=True)
        with open(osp.join(self.root, f'.{name}.lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another builder of this asset finishes first
            if osp.isfile(done):
                return final
            tmp = final + f'.tmp-{os.getpid()}'
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            self.log(f'Building test asset {name} ({info["key"]}) in {self.root} ...')
            start = time.time()
            try:
                build(tmp)
                with open(osp.join(tmp, 'mmopen_asset.json'), 'w') as f:
                    json.dump(dict(info, build_s=round(time.time() - start, 1)), f, indent=1)
                shutil.rmtree(final, ignore_errors=True)
                os.rename(tmp, final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self._prune(name, params, keep=final)
            self.log(f'Built test asset {name} in {time.time() - start:.0f} s')
        return final

    def _prune(self, name: str, params: Dict, keep: str) -> None:
        """Remove this asset's entries made with the same parameters by other code."""
        for entry in os.listdir(self.root):
            path = osp.join(self.root, entry)
            if path == keep or not entry.startswith(name + '-') or '.tmp-' in entry:
                continue
            try:
                with open(osp.join(path, 'mmopen_asset.json')) as f:
                    same = json.load(f).get('params') == params
            except (OSError, ValueError):
                same = False
            if same:
                shutil.rmtree(path, ignore_errors=True)


def copy_asset(src: str, dst: str) -> str:
    """A private copy of a cache entry (tests write next to their inputs)."""
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst


if __name__ == '__main__':  # pragma: no cover
    print(import_closure(os.getcwd(), sys.argv[1:]))
