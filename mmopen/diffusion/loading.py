"""Loading an inpainting model for the guided sampler (:mod:`mmopen.diffusion.inpainting`): a
local SD-2-inpainting-compatible folder, ``from_pretrained(PATH)`` of each component, never a hub.
On CUDA the components can run in fp16; on CPU they run in fp32. ``diffusers`` and
``transformers`` are imported only when a model is loaded."""
import os.path as osp
from typing import NamedTuple

import torch

COMPONENTS = ('unet', 'vae', 'text_encoder', 'tokenizer', 'scheduler')
LAYOUT_HINT = ('a local Stable-Diffusion-2-inpainting-compatible folder (model_index.json, '
               'unet/, vae/, text_encoder/, tokenizer/, scheduler/), e.g. a download of '
               'stabilityai/stable-diffusion-2-inpainting; `python '
               'tools/misc/make_tiny_inpaint.py OUT` writes a tiny one for trials')


class InpaintModel(NamedTuple):
    unet: torch.nn.Module
    vae: torch.nn.Module
    text_encoder: torch.nn.Module
    tokenizer: object
    scheduler: object
    path: str

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.unet.parameters()).dtype

    @property
    def vae_scale(self) -> int:
        return 2**(len(self.vae.config.block_out_channels) - 1)


def resolve_dtype(device: str, fp16: bool) -> torch.dtype:
    """fp16 only on CUDA; a clear error when it is asked for elsewhere."""
    if fp16 and not str(device).startswith('cuda'):
        raise ValueError(f'fp16 / --amp inpainting needs a CUDA device (got device={device!r}); '
                         'drop --amp to run in fp32 on CPU.')
    return torch.float16 if fp16 else torch.float32


def load_inpaint_model(path: str, device: str = 'cpu', fp16: bool = False) -> InpaintModel:
    """Load the UNet, VAE, CLIP text encoder, tokenizer and (DDIM) scheduler of an inpainting
    model folder; every component frozen and in eval mode."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer
    dtype = resolve_dtype(device, fp16)
    path = osp.abspath(osp.expanduser(str(path)))
    if not osp.isdir(path):
        raise FileNotFoundError(f'Inpainting model folder {path!r} does not exist. The guided '
                                f'sampler needs {LAYOUT_HINT}.')
    missing = [c for c in COMPONENTS if not osp.isdir(osp.join(path, c))]
    if missing:
        raise FileNotFoundError(f'Inpainting model folder {path!r} lacks {missing}: expected '
                                f'{LAYOUT_HINT}.')

    def load(cls, sub, **kw):
        try:
            return cls.from_pretrained(path, subfolder=sub, local_files_only=True, **kw)
        except (OSError, ValueError) as err:
            raise FileNotFoundError(f'Cannot load {osp.join(path, sub)!r} ({cls.__name__}): '
                                    f'{err}. Expected {LAYOUT_HINT}.') from err

    unet = load(UNet2DConditionModel, 'unet', torch_dtype=dtype)
    if unet.config.in_channels != 9:
        raise ValueError(f'{osp.join(path, "unet")!r} takes {unet.config.in_channels} input '
                         'channels; an inpainting UNet takes 9 (4 latents, 1 mask, 4 masked-'
                         'image latents). Use an inpainting model (stable-diffusion-2-'
                         'inpainting), not a text-to-image one.')
    vae = load(AutoencoderKL, 'vae', torch_dtype=dtype)
    text_encoder = load(CLIPTextModel, 'text_encoder', torch_dtype=dtype)
    tokenizer = load(CLIPTokenizer, 'tokenizer')
    scheduler = load(DDIMScheduler, 'scheduler')
    for module in (unet, vae, text_encoder):
        module.to(device).eval().requires_grad_(False)
    return InpaintModel(unet, vae, text_encoder, tokenizer, scheduler, path)
