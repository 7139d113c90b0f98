import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup


def read_version() -> str:
    ns: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmopen', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


def add_mim_configs() -> None:
    """Copy ``configs/`` into ``mmopen/.mim/configs`` when a wheel or an sdist is built, as
    OpenMMLab packages ship theirs, so that config names resolve after ``pip install``
    (``mmopen.apis.find_config`` / ``list_models`` read them there outside a checkout)."""
    if not {'bdist_wheel', 'sdist', 'build'} & set(sys.argv[1:]):
        return
    here = osp.dirname(osp.abspath(__file__))
    target = osp.join(here, 'mmopen', '.mim', 'configs')
    if osp.isdir(osp.join(here, 'configs')):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(osp.join(here, 'configs'), target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


add_mim_configs()
setup(
    name='mmopen',
    version=read_version(),
    description='Open-world vision with CLIP for MMEngine, MMSegmentation and MMPretrain',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=('mmopen', 'mmopen.*')),
    # every data file the package reads (tests/test_packaging.py checks the built wheel)
    package_data={'mmopen': ['.mim/configs/**/*.py', '.mim/configs/**/*.md',
                             '.mim/configs/**/*.yml'],
                  'mmopen.clip': ['vocabularies/*.txt', 'vocabularies/README.md',
                                  'model_configs/*.json'],
                  'mmopen.osdg': ['benchmarks/*.json']},
    python_requires='>=3.9',
    install_requires=(read_requirements('torch.txt') + read_requirements('mmcv.txt') +
                      read_requirements('runtime.txt')),
    extras_require={'tests': read_requirements('tests.txt')},
    license='Apache License 2.0',
)
