"""mmopen: open-world vision with CLIP for MMEngine, MMSegmentation and MMPretrain.

``import mmopen`` (or ``custom_imports = dict(imports=['mmopen'],
allow_failed_imports=False)`` in a config) registers every component into the host
registries -- ``mmseg.registry``, ``mmpretrain.registry`` and ``mmengine.registry.TRANSFORMS`` --
and turns off MMPretrain's BLIP-family models, which cannot import next to ``transformers`` 5
(:mod:`mmopen.compat`). No MMEngine, MMSegmentation or MMPretrain function is replaced: safe
checkpoint loading and CPU distributed launches live in mmopen's runner,
:class:`mmopen.engine.MMOpenRunner`.

Pure functions live in packages named by task -- :mod:`mmopen.clip`, :mod:`mmopen.ovs`,
:mod:`mmopen.ood` (with :mod:`mmopen.ood.synood`), :mod:`mmopen.osdg` (with
:mod:`mmopen.osdg.seeclip`) and :mod:`mmopen.diffusion` (shared by SynOOD and SeeCLIP); the
registered shells in :mod:`mmopen.models`, :mod:`mmopen.datasets`, :mod:`mmopen.evaluation` and
:mod:`mmopen.engine` (docs/layout.md).
"""
from . import compat
from .version import __version__

compat.check_versions()
compat.guard_mmpretrain_multimodal()

from . import clip  # noqa: E402
from . import datasets, diffusion, engine, evaluation, models, ood, osdg, ovs  # noqa: E402,F401

__all__ = [
    '__version__', 'clip', 'compat', 'datasets', 'diffusion', 'engine', 'evaluation', 'models',
    'ood', 'osdg', 'ovs'
]
