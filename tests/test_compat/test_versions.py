"""The stack check names what differs from the tested pins, the GPU kit's mmcv-lite too."""
from importlib import metadata

from mmopen.compat import versions


def test_mmcv_lite_is_named_as_such_and_a_missing_package_as_missing(monkeypatch):
    installed = {k: v + '0' if v.endswith('.') else v  # '2.13.' -> '2.13.0'
                 for k, v in versions.TESTED_VERSIONS.items()}
    installed.update({'torch': '2.11.0+cu130', 'mmcv': None, 'mmcv-lite': '2.1.0'})

    def version(name):
        if installed.get(name) is None:
            raise metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setattr(metadata, 'version', version)
    assert versions.check_versions(warn=False) == [
        'torch==2.11.0+cu130 (tested with 2.13*)',
        'mmcv-lite==2.1.0, without compiled operators (tested with mmcv 2.1.0*)']
    del installed['mmcv-lite']
    assert versions.check_versions(warn=False)[1] == 'mmcv is not installed (tested with 2.1.0*)'
