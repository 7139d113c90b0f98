"""The real-size check's weights: random-initialised files of the configs' real
architectures (open_clip CLIPs, SD-2-inpainting, mmpretrain classifiers), written once per
library-version set (``tools/misc/real_size.py``)."""
import hashlib
import os
import os.path as osp
from typing import Optional

from mmopen.quickstart.tiny_clip import write_clip_file
from mmopen.quickstart.tiny_diffusion import write_tiny_inpaint
from mmopen.utils.io import atomic_path

CACHE_ENV = 'MMOPEN_CHECK_CACHE'

# stabilityai/stable-diffusion-2-inpainting's component configs (the architecture, not the
# weights): UNet 9-channel input, ~866M parameters; VAE ~84M; OpenCLIP ViT-H text tower ~340M.
SD2_INPAINT = dict(
    unet=dict(
        sample_size=64, in_channels=9, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=('CrossAttnDownBlock2D', ) * 3 + ('DownBlock2D', ),
        up_block_types=('UpBlock2D', ) + ('CrossAttnUpBlock2D', ) * 3,
        cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True, norm_num_groups=32, flip_sin_to_cos=True, freq_shift=0),
    vae=dict(
        in_channels=3, out_channels=3, latent_channels=4, sample_size=512, layers_per_block=2,
        block_out_channels=(128, 256, 512, 512), norm_num_groups=32,
        down_block_types=('DownEncoderBlock2D', ) * 4, up_block_types=('UpDecoderBlock2D', ) * 4,
        scaling_factor=0.18215),
    text=dict(
        vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
        num_attention_heads=16, max_position_embeddings=77, projection_dim=512,
        hidden_act='gelu', bos_token_id=49406, eos_token_id=49407, pad_token_id=49407))


def default_cache() -> str:
    return os.environ.get(CACHE_ENV) or osp.join(osp.expanduser('~'), '.cache', 'mmopen',
                                                 'check_configs')


def _versions_key() -> str:
    """Random weights depend on the libraries that initialise them: one cache per version set."""
    from importlib.metadata import version

    import torch

    # the other versions from the installed metadata (the same strings as their __version__):
    # importing diffusers and transformers costs seconds
    text = ' '.join([torch.__version__, version('open_clip_torch'), version('diffusers'),
                     version('transformers'), 'v1'])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class WeightCache:
    """Random-initialised weight files of real architectures, written once per library-version
    set under ``root`` (atomically: an interrupted write leaves nothing)."""

    def __init__(self, root: Optional[str] = None, log=print):
        self.root = osp.join(osp.abspath(root or default_cache()), _versions_key())
        self.log = log

    def clip(self, model_name: str) -> str:
        """An open_clip ``model_name`` CLIP (safetensors; the reader does not go by the file
        name, so a config's ``ViT-B-16.pt`` path can point at it)."""
        path = osp.join(self.root, 'clip', f'{model_name}.safetensors')
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            self.log(f'writing random-initialised CLIP {model_name} to {path}')
            write_clip_file(model_name, path, 'safetensors', seed=0)
        return path

    def inpaint(self) -> str:
        """A Stable-Diffusion-2-inpainting model folder (diffusers layout, fp32)."""
        path = osp.join(self.root, 'stable-diffusion-2-inpainting')
        if not osp.isfile(osp.join(path, 'model_index.json')):
            os.makedirs(self.root, exist_ok=True)
            self.log(f'writing random-initialised SD-2-inpainting components to {path}')
            write_tiny_inpaint(path, architecture=SD2_INPAINT, log=self.log)
        return path

    def mmpretrain(self, config: str) -> str:
        """A checkpoint (``state_dict``) of the mmpretrain model ``config`` builds."""
        import torch
        from mmengine.config import Config
        from mmpretrain.registry import MODELS
        name = config.split('::')[-1].replace('/', '_').replace('.py', '')
        path = osp.join(self.root, 'mmpretrain', f'{name}.pth')
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            self.log(f'writing random-initialised {config} to {path}')
            torch.manual_seed(0)
            if '::' in config:
                from mmengine.hub import get_config
                model_cfg = get_config(config).model
            else:
                model_cfg = Config.fromfile(config).model
            model = MODELS.build(model_cfg)
            model.init_weights()
            with atomic_path(path) as tmp:
                torch.save(dict(state_dict=model.state_dict()), tmp)
        return path
