"""A tiny Stable-Diffusion-2-inpainting-compatible model folder, for tests and the quickstart.

The folder has the layout of a real SD-2-inpainting release (``model_index.json``, ``unet/``,
``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``), so what loads it is the loading
path a real model takes (``from_pretrained(PATH)``). The components are built from configs:

- UNet: 9 input channels (4 latents, 1 mask, 4 masked-image latents), as SD-2-inpainting;
- VAE: 4 latent channels, downsampling 4 (SD: 8), ``scaling_factor`` 0.18215;
- text encoder: a 2-layer CLIP text transformer (width 32) with CLIP's real BPE vocabulary
  (written from open_clip's merges), so prompts tokenize as they would for SD-2;
- scheduler: DDIM with SD-2's betas (``scaled_linear``, 0.00085 to 0.012, 1000 steps).

Random weights make no image at all, so :func:`pretrain_tiny_inpaint` trains the VAE as an
autoencoder and then the UNet to denoise, on images given to it (a world's: SynOOD's context
scenes and the shapes in four styles, :func:`quickstart_pairs`): 1200 + 1500 steps on CPU,
enough for inpainting at strength < 1 to give back an image with the seed's layout. It is a toy
model of real images, not a generator of any quality.
"""
import json
import os
import os.path as osp
import shutil
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmopen.ood.synood.context import DEFAULT_TEMPLATE, format_prompt
from mmopen.utils.io import atomic_path
from .osdg_data import osdg_inpaint_pairs
from .quickstart_data import CONTEXT_OBJECTS, SEG_BACKGROUNDS, context_caption, context_scene

# bumped whenever the components or their pre-training change (tools/misc/make_tiny_inpaint.py
# rewrites a folder made by another version)
RECIPE_VERSION = 3
# pre-training steps of the VAE and the UNet (tools/misc/make_tiny_inpaint.py's defaults)
VAE_STEPS = 1200
UNET_STEPS = 1500

TINY_UNET = dict(
    sample_size=8, in_channels=9, out_channels=4, layers_per_block=1,
    block_out_channels=(32, 64), down_block_types=('CrossAttnDownBlock2D', 'DownBlock2D'),
    up_block_types=('UpBlock2D', 'CrossAttnUpBlock2D'), cross_attention_dim=32,
    attention_head_dim=8, norm_num_groups=8)
TINY_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, sample_size=32, layers_per_block=1,
    block_out_channels=(16, 32, 32), norm_num_groups=8,
    down_block_types=('DownEncoderBlock2D', ) * 3, up_block_types=('UpDecoderBlock2D', ) * 3,
    scaling_factor=0.18215)
TINY_TEXT = dict(
    vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    num_attention_heads=4, max_position_embeddings=77, projection_dim=32, hidden_act='gelu',
    bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)
SD2_SCHEDULER = dict(
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule='scaled_linear',
    clip_sample=False, set_alpha_to_one=False, steps_offset=1, prediction_type='epsilon')


def write_clip_bpe_tokenizer(folder: str) -> None:
    """CLIP's BPE vocabulary and merges (from open_clip's copy) as a ``CLIPTokenizer`` folder."""
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer
    simple = SimpleTokenizer()
    rename = {'<start_of_text>': '<|startoftext|>', '<end_of_text>': '<|endoftext|>'}
    vocab = {rename.get(k, k): v for k, v in simple.encoder.items()}
    merges = sorted(simple.bpe_ranks.items(), key=lambda kv: kv[1])
    with open(osp.join(folder, 'vocab.json'), 'w') as f:
        json.dump(vocab, f)
    with open(osp.join(folder, 'merges.txt'), 'w') as f:
        f.write('#version: 0.2\n')
        f.writelines(f'{a} {b}\n' for (a, b), _ in merges)
    tok = CLIPTokenizer(osp.join(folder, 'vocab.json'), osp.join(folder, 'merges.txt'),
                        pad_token='<|endoftext|>', model_max_length=77)
    tok.save_pretrained(folder)


def build_tiny_inpaint(tokenizer_dir: str, seed: int = 0,
                       architecture: Optional[Dict[str, dict]] = None) -> Dict[str, object]:
    """Randomly initialised components (``unet``, ``vae``, ``text_encoder``, ``tokenizer``,
    ``scheduler``) built from the configs above, or from ``architecture`` (``unet``, ``vae``,
    ``text`` configs: ``SD2_INPAINT`` of tools/misc/real_size_weights.py is SD-2-inpainting's)."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    arch = {**dict(unet=TINY_UNET, vae=TINY_VAE, text=TINY_TEXT), **(architecture or {})}
    torch.manual_seed(seed)
    return dict(
        unet=UNet2DConditionModel(**arch['unet']),
        vae=AutoencoderKL(**arch['vae']),
        text_encoder=CLIPTextModel(CLIPTextConfig(**arch['text'])),
        tokenizer=CLIPTokenizer.from_pretrained(tokenizer_dir),
        scheduler=DDIMScheduler(**SD2_SCHEDULER))


def _to_tensor(images: Sequence[np.ndarray], size: int) -> torch.Tensor:
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False,
                          antialias=True)
    return x


def _schedule(opt, steps: int):
    """One-cycle learning rate (warm-up to the optimiser's rate over 15% of the steps, then
    cosine down): the tiny models learn in a few hundred steps with it."""
    lr = opt.param_groups[0]['lr']
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1),
                                               pct_start=0.15)


def pretrain_tiny_inpaint(parts: Dict[str, object], images: Sequence[np.ndarray],
                          prompts: Sequence[str], size: int = 32, vae_steps: int = VAE_STEPS,
                          unet_steps: int = UNET_STEPS, batch_size: int = 16, seed: int = 0,
                          log: Callable[[str], None] = print) -> Dict[str, float]:
    """Train the VAE as an autoencoder, then the UNet to predict the noise of SD-2-inpainting's
    whole-image-mask input (mask of ones, masked image of zeros), conditioned on ``prompts``
    (one per image; 10% dropped to the empty prompt, for classifier-free guidance). Returns the
    final losses.

    The VAE is trained as a deterministic autoencoder on its posterior mean (L1, horizontal
    flips, a small L2 penalty that keeps the latents bounded); its ``scaling_factor`` is then
    set from the data, ``1 / std`` of the training latents, as Stable Diffusion's 0.18215 was
    measured, so that the UNet sees unit-variance latents. (Recipe 1 sampled the posterior with
    its initial unit variance and trained 300 steps: the decoder learnt to ignore the noisy
    latents and every image came back as a pale pink blur -- shapes, colours and sketch lines
    lost -- which made every generated image recognisable by its blur alone.)"""
    gen = torch.Generator().manual_seed(seed)
    x_all = _to_tensor(images, size)
    vae, unet, text_encoder, tokenizer, scheduler = (parts[k] for k in (
        'vae', 'unet', 'text_encoder', 'tokenizer', 'scheduler'))
    n = x_all.shape[0]
    vae.train()
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    sched = _schedule(opt, vae_steps)
    rec = torch.zeros(())
    for step in range(vae_steps):
        x = x_all[torch.randint(n, (batch_size, ), generator=gen)]
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        z = vae.encode(x).latent_dist.mean
        rec = (vae.decode(z).sample - x).abs().mean()
        loss = rec + 1e-4 * z.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 200 == 0:
            log(f'  tiny VAE step {step + 1}/{vae_steps}: L1 {rec.item():.4f}')
    vae.eval().requires_grad_(False)
    text_encoder.eval().requires_grad_(False)
    with torch.no_grad():
        both = torch.cat([x_all, x_all.flip(3)])  # each image and its mirror image
        raw = torch.cat([vae.encode(both[i:i + 64]).latent_dist.mean
                         for i in range(0, 2 * n, 64)])
        sf = float(1.0 / raw.std())
        vae.register_to_config(scaling_factor=sf)
        latents = raw * sf
        masked = vae.encode(torch.zeros_like(x_all[:1])).latent_dist.mean * sf
        ids = tokenizer(list(prompts) + [''], padding='max_length',
                        max_length=tokenizer.model_max_length, truncation=True,
                        return_tensors='pt').input_ids
        cond = text_encoder(ids)[0]
    log(f'  tiny VAE scaling factor {sf:.4f} (1 / std of the training latents)')
    unet.train()
    opt = torch.optim.Adam(unet.parameters(), lr=2e-3)
    sched = _schedule(opt, unet_steps)
    mse = torch.zeros(())
    T = scheduler.config.num_train_timesteps
    for step in range(unet_steps):
        idx = torch.randint(2 * n, (batch_size, ), generator=gen)
        z0 = latents[idx]
        noise = torch.randn(z0.shape, generator=gen)
        t = torch.randint(T, (batch_size, ), generator=gen)
        zt = scheduler.add_noise(z0, noise, t)
        drop = torch.rand(batch_size, generator=gen) < 0.1
        text = torch.where(drop[:, None, None], cond[-1:], cond[idx % n])
        inp = torch.cat([zt, torch.ones_like(zt[:, :1]), masked.expand_as(zt)], dim=1)
        mse = F.mse_loss(unet(inp, t, encoder_hidden_states=text).sample, noise)
        opt.zero_grad()
        mse.backward()
        opt.step()
        sched.step()
        if (step + 1) % 250 == 0:
            log(f'  tiny UNet step {step + 1}/{unet_steps}: noise MSE {mse.item():.4f}')
    unet.eval().requires_grad_(False)
    return dict(vae_l1=rec.item(), unet_mse=mse.item(), scaling_factor=sf)


def quickstart_pairs(root: str, seed: int = 0, scenes_per_class: int = 16):
    """What the tiny inpainting model is pre-trained on. For the quickstart's classification
    data: ``scenes_per_class`` scenes with a context object per ID class (a kite or a tire on a
    wall, grass or floor texture, :func:`~mmopen.quickstart.quickstart_data.context_scene`),
    each with the context prompt SynOOD gives it (``"A photo only remain kite, grass."``), so
    that, like a real inpainting model, it can paint the context elements a prompt names where
    the ID object was. For the OSDG quickstart (a folder with ``benchmark.json``):
    :func:`mmopen.quickstart.osdg_data.osdg_inpaint_pairs`.

    The ID images themselves are left out: SynOOD never asks the model for an ID class by name
    (it starts from the ID image), and the one model of a world also serves SeeCLIP, whose
    world draws the same shapes under their shape names; captioned "a photo of a tench." for a
    red circle, they taught it two names for one shape, and its pseudo-unknowns, asked for "a
    shape" that is none of the known ones, came out as known shapes (SeeCLIP's H-score with them
    0.0 against 64.9 without the ID images, seed 1, the same steps)."""
    base = osp.join(root, 'cls', 'imagenet')
    if osp.isfile(osp.join(root, 'benchmark.json')):
        return osdg_inpaint_pairs(root)
    if not osp.isfile(osp.join(base, 'meta', 'train.txt')):
        raise FileNotFoundError(f'{root} holds no quickstart classification data '
                                '(tools/misc/make_quickstart_data.py writes it).')
    with open(osp.join(base, 'meta', 'classes.txt')) as f:
        count = scenes_per_class * sum(1 for line in f if line.strip())
    with open(osp.join(root, 'manifest.json')) as f:
        size = int(json.load(f)['cls_size'])
    rng = np.random.default_rng(seed)
    images, prompts = [], []
    for i in range(count):
        which = (i // len(CONTEXT_OBJECTS)) % len(SEG_BACKGROUNDS)
        images.append(context_scene(rng, size, i, which))
        prompts.append(format_prompt(DEFAULT_TEMPLATE, context_caption(i, which)))
    return images, prompts


def write_tiny_inpaint(out: str, images: Optional[Sequence[np.ndarray]] = None,
                       prompts: Optional[Sequence[str]] = None, seed: int = 0,
                       log: Callable[[str], None] = print,
                       extra_files: Optional[Dict[str, dict]] = None,
                       architecture: Optional[Dict[str, dict]] = None, **train_kwargs) -> str:
    """Write a tiny SD-2-inpainting-compatible folder to ``out`` (atomically): random
    components, pre-trained on ``images`` / ``prompts`` when given; ``extra_files`` are JSON
    files written into the folder with it; ``architecture`` as :func:`build_tiny_inpaint`.
    Returns ``out``."""
    from diffusers import StableDiffusionInpaintPipeline
    with atomic_path(out, is_dir=True) as tmp:
        tok_dir = osp.join(tmp, '.tokenizer')
        os.makedirs(tok_dir)
        write_clip_bpe_tokenizer(tok_dir)
        parts = build_tiny_inpaint(tok_dir, seed, architecture)
        stats = {}
        if images is not None:
            if prompts is None or len(prompts) != len(images):
                raise ValueError('pretrain_tiny_inpaint needs one prompt per image.')
            stats = pretrain_tiny_inpaint(parts, images, prompts, seed=seed, log=log,
                                          **train_kwargs)
        pipe = StableDiffusionInpaintPipeline(
            **parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.save_pretrained(tmp, safe_serialization=True)
        shutil.rmtree(tok_dir)
        with open(osp.join(tmp, 'mmopen_tiny.json'), 'w') as f:
            json.dump(dict(seed=seed, pretrained=images is not None, **stats), f, indent=1)
        for name, obj in (extra_files or {}).items():
            with open(osp.join(tmp, name), 'w') as f:
                json.dump(obj, f, indent=1)
    return out
