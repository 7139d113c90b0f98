"""Warn when the installed stack differs from the versions mmopen is tested with."""
import warnings
from importlib import metadata
from typing import Dict, List

# package name -> the version (prefix) the test suite runs on; see requirements/.
TESTED_VERSIONS: Dict[str, str] = {
    'torch': '2.13.',
    'torchvision': '0.28.',
    'mmcv': '2.1.0',
    'mmengine': '0.10.7',
    'mmdet': '3.3.0',
    'mmsegmentation': '1.2.2',
    'mmpretrain': '1.2.0',
    'diffusers': '0.42.',
    'transformers': '5.24.',
}


def _lite_version(name: str) -> str:
    """The version of ``NAME-lite`` (mmcv built without operators, as the GPU kit installs
    it), or ``''``."""
    try:
        return metadata.version(f'{name}-lite')
    except metadata.PackageNotFoundError:
        return ''


def check_versions(warn: bool = True) -> List[str]:
    """Return (and by default warn about) every package whose installed version is not the
    tested one. Never raises: an untested version may work, the user decides."""
    problems = []
    for name, tested in TESTED_VERSIONS.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            lite = _lite_version(name)
            problems.append(f'{name}-lite=={lite}, without compiled operators (tested with '
                            f'{name} {tested.rstrip(".")}*)' if lite else
                            f'{name} is not installed (tested with {tested.rstrip(".")}*)')
            continue
        if not installed.split('+')[0].startswith(tested):
            problems.append(f'{name}=={installed} (tested with {tested.rstrip(".")}*)')
    if problems and warn:
        warnings.warn(
            'mmopen is tested with a pinned OpenMMLab stack; untested versions found: ' +
            '; '.join(problems) + '. Run `make install` to get the tested versions.',
            stacklevel=2)
    return problems
