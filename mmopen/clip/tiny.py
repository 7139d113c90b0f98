"""Registration of mmopen's tiny CLIP architectures with open_clip (and timm).

They are registered under the names in :data:`TINY_MODELS`, so that they are built, saved and
loaded through exactly the code path of the real models (``ViT-B-16``, ``convnext_base_w``,
...). ``mmopen-tiny-convnext`` is a timm ConvNeXt tower (registered in timm as
``mmopen_convnext_tiny``: depths 1-1-1-1, widths 16-32-48-64) behind open_clip's ``TimmModel``
adapter, like ``convnext_base_w``; ``mmopen-tiny-vit`` is open_clip's own
``VisionTransformer`` (2 layers, width 32, patch 8), like ``ViT-B-16``. Their open_clip configs
are the JSON files in ``model_configs/``.

Writing weight files for them (random or pre-trained on the quickstart data) is test and
quickstart tooling: :mod:`mmopen.quickstart.tiny_clip`.
"""
import os.path as osp

from .constants import TINY_MODELS

__all__ = ['TINY_MODELS', 'register_tiny_models', 'MODEL_CONFIG_DIR']

MODEL_CONFIG_DIR = osp.join(osp.dirname(__file__), 'model_configs')
_REGISTERED = False


def _register_timm_tower() -> None:
    from timm.models import register_model
    from timm.models._registry import is_model
    from timm.models.convnext import _create_convnext

    if is_model('mmopen_convnext_tiny'):
        return

    @register_model
    def mmopen_convnext_tiny(pretrained: bool = False, **kwargs):
        model_args = dict(depths=(1, 1, 1, 1), dims=(16, 32, 48, 64))
        # no released weights: an explicit pretrained_cfg (input size, pool size) instead
        if kwargs.get('pretrained_cfg') is None:
            kwargs['pretrained_cfg'] = dict(input_size=(3, 32, 32), pool_size=(1, 1),
                                            num_classes=0, architecture='mmopen_convnext_tiny')
        return _create_convnext(
            'mmopen_convnext_tiny', pretrained=pretrained, **dict(model_args, **kwargs))


def register_tiny_models() -> None:
    """Make the tiny architectures known to open_clip (and timm). Idempotent."""
    global _REGISTERED
    if _REGISTERED:
        return
    import open_clip
    _register_timm_tower()
    open_clip.add_model_config(MODEL_CONFIG_DIR)
    _REGISTERED = True
