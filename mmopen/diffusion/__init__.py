"""Guided diffusion shared by SynOOD (:mod:`mmopen.ood.synood`) and SeeCLIP
(:mod:`mmopen.osdg.seeclip`): a local inpainting model, the sampler that moves its initial noise
against a loss gradient, and the images in and out of it.

* :mod:`.loading` -- a local SD-2-inpainting-compatible folder (``diffusers`` / ``transformers``
  imported only here, when a model is loaded);
* :mod:`.inpainting` -- the guided sampler (SynOOD eqs. 4-10) and its settings;
* :mod:`.losses` -- the OOD losses the sampler's settings name (SynOOD eq. 7);
* :mod:`.images` -- RGB ``uint8`` arrays <-> ``[0, 1]`` tensors, made square.
"""
from .images import check_fit, from_uint8, to_uint8
from .inpainting import GuidanceSettings, GuidedInpainter, InpaintResult
from .loading import InpaintModel, load_inpaint_model, resolve_dtype
from .losses import energy_loss, get_ood_loss, squared_score_loss

__all__ = [
    'check_fit', 'from_uint8', 'to_uint8', 'GuidanceSettings', 'GuidedInpainter',
    'InpaintResult', 'InpaintModel', 'load_inpaint_model', 'resolve_dtype', 'energy_loss',
    'get_ood_loss', 'squared_score_loss'
]
