"""mmopen: open-world vision with CLIP for MMEngine, MMSegmentation and MMPretrain.

``import mmopen`` (or ``custom_imports = dict(imports=['mmopen'],
allow_failed_imports=False)`` in a config) registers every component into the host
registries -- ``mmseg.registry``, ``mmpretrain.registry`` and ``mmengine.registry.TRANSFORMS`` --
and applies the compatibility fixes of :mod:`mmopen.compat` (safe checkpoint loading under
``weights_only=True``, CPU distributed launches).
"""
from .version import __version__
from . import compat

compat.check_versions()
compat.apply_all()

from . import clip  # noqa: E402
from . import datasets, engine, evaluation, models, ood, seeclip, synood  # noqa: E402,F401

__all__ = [
    '__version__', 'clip', 'compat', 'datasets', 'engine', 'evaluation', 'models', 'ood', 'seeclip',
    'synood'
]
