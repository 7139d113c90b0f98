"""Energy-guided inpainting: SynOOD §3.3, eqs. (4)-(10), on diffusers components (the
sampler SynOOD and SeeCLIP share).

One call turns a batch of in-distribution images into near-boundary OOD images:

1. the VAE encoder gives the image latents ``z_in``; the mask is all ones (the whole image may
   change) and the masked image, ``image * (mask < 0.5)`` in the VAE's [-1, 1] units as the
   diffusers inpainting pipeline forms it, is therefore all zeros (SD-2-inpainting's 9-channel
   UNet input: latents, mask, masked-image latents);
2. each *outer iteration* noises ``z_in`` at the first timestep of the truncated schedule
   (eq. 4: ``z_T = sqrt(abar_T) z_in + sqrt(1 - abar_T) eps``, ``T`` set by ``strength``),
   denoises with DDIM (eq. 5, ``eta = 0``) under classifier-free guidance, decodes with the VAE
   *with gradients* (eq. 6), scores the image with the classifier ``g`` and an OOD loss
   (:mod:`mmopen.diffusion.losses`, eq. 7);
3. the noise is moved against the loss gradient (eq. 10, ``eps <- eps - r * grad``) where the
   gradient is either the *skip gradient* of eq. (9) -- ``dL/dz_0`` applied to ``eps`` as if the
   sampler were the identity (``rho`` folded into ``step_size = r * rho``) -- or, for
   comparison, the full gradient of eq. (8) back-propagated through every denoising step;
   the skip gradient is taken, as in the released loop, w.r.t. the VAE decoder's input
   ``z_0 / scaling_factor`` (the unscaled latent), and of each image's own loss (see
   :class:`GuidanceSettings` for the conversion of the release's step);
4. after the last update the image is rendered once more from the final noise: ``outer_iters``
   updates, ``outer_iters + 1`` renders, the last one returned. The released loop
   (``for i in range(iter)``: render, save, update) saves the image rendered before its last
   update, i.e. after ``iter - 1`` updates: its ``--iter N`` is ``outer_iters = N - 1`` here.

``InpaintResult.losses[k]`` is the loss of the image rendered from the noise after ``k``
updates, so ``losses[0]`` is plain (unguided) inpainting from the same noise.

The model is an :class:`~mmopen.diffusion.loading.InpaintModel`
(:func:`~mmopen.diffusion.loading.load_inpaint_model`); images go in and out through
:mod:`mmopen.diffusion.images`. SynOOD (:mod:`mmopen.ood.synood`) guides with an OOD loss,
SeeCLIP (:mod:`mmopen.osdg.seeclip.pseudo_unknowns`) with a distance of semantic tokens.
"""
from dataclasses import asdict, dataclass, fields
from typing import Callable, List, NamedTuple, Optional, Sequence

import torch

from .loading import InpaintModel
from .losses import get_ood_loss


@dataclass
class GuidanceSettings:
    """SynOOD's generation settings, with the paper's defaults (§4.1).

    Args:
        strength: how far into the schedule the image is noised (0.6: 12 of 20 steps run).
        steps: DDIM steps of the full schedule.
        guidance_scale: classifier-free guidance weight.
        outer_iters: noise updates (the paper's inpainting iterations).
        step_size: ``r * rho`` of eqs. (9)-(10). With the skip gradient it multiplies
            ``dL_i / du``, the gradient of image ``i``'s own loss w.r.t. the unscaled latent
            ``u = z_0 / scaling_factor`` that the VAE decodes -- the released loop's latent.
            The released loop instead differentiates the *batch mean* of the losses, so its
            ``--lr`` at batch size ``B`` equals ``step_size * B`` here (its per-image step
            shrinks as its batch grows; here an image's update does not depend on the batch
            it is generated in). Against the scaled latent ``z_0`` (SD: ``u / 0.18215``) the
            same update is ``step_size * scaling_factor`` times ``dL_i / dz_0``.
        loss: ``'energy'`` (eq. 7) or ``'squared'`` (the released loop's).
        m_out, tau: the loss's margin and temperature.
        gradient: ``'skip'`` (eq. 9) or ``'full'`` (eq. 8, through the sampler; costly).
        latent: the VAE encoding of the image: ``'mean'`` (default, deterministic) or
            ``'sample'`` (the release: ``latent_dist.sample(generator)``, the mean plus the
            std times a standard normal draw the caller passes as ``latent_noise``).
    """
    strength: float = 0.6
    steps: int = 20
    guidance_scale: float = 8.0
    outer_iters: int = 3
    step_size: float = 10.0
    loss: str = 'energy'
    m_out: float = -5.0
    tau: float = 1.0
    gradient: str = 'skip'
    latent: str = 'mean'

    def __post_init__(self):
        if not 0 < self.strength <= 1:
            raise ValueError(f'strength={self.strength}: must be in (0, 1].')
        if self.steps < 1 or int(self.steps * self.strength) < 1:
            raise ValueError(f'steps={self.steps} with strength={self.strength} runs no '
                             'denoising step; raise either.')
        if self.outer_iters < 0:
            raise ValueError(f'outer_iters={self.outer_iters}: must be >= 0.')
        if self.gradient not in ('skip', 'full'):
            raise ValueError(f"gradient={self.gradient!r}: 'skip' (eq. 9) or 'full' (eq. 8).")
        if self.latent not in ('mean', 'sample'):
            raise ValueError(f"latent={self.latent!r}: 'mean' or 'sample' (the release's).")
        get_ood_loss(self.loss)

    @classmethod
    def from_dict(cls, cfg: Optional[dict]) -> 'GuidanceSettings':
        cfg = dict(cfg or {})
        known = {f.name for f in fields(cls)}
        unknown = set(cfg) - known
        if unknown:
            raise TypeError(f'Unknown guidance settings {sorted(unknown)}; known: '
                            f'{sorted(known)}.')
        return cls(**cfg)

    def to_dict(self) -> dict:
        return asdict(self)


class InpaintResult(NamedTuple):
    images: torch.Tensor   # B x 3 x H x W in [0, 1], float32, the final render
    losses: torch.Tensor   # (outer_iters + 1) x B; row k after k noise updates (NaN unguided)
    noise: torch.Tensor    # the final noise (B x 4 x h x w)


class GuidedInpainter:
    """Energy-guided inpainting with an :class:`InpaintModel` (see the module docstring).

    Args:
        model: the loaded components.
        settings: :class:`GuidanceSettings` (or a dict of them).
        uncond_prompt: the prompt of classifier-free guidance's unconditional branch (``''``;
            a negative prompt in its place steers away from what it names).
    """

    def __init__(self, model: InpaintModel, settings=None, uncond_prompt: str = ''):
        self.model = model
        self.uncond_prompt = uncond_prompt
        self.settings = settings if isinstance(settings, GuidanceSettings) else \
            GuidanceSettings.from_dict(settings)
        self.loss_fn = get_ood_loss(self.settings.loss)
        self._uncond: Optional[torch.Tensor] = None

    # ------------------------------------------------------------------ pieces
    def latent_shape(self, batch: int, height: int, width: int):
        f = self.model.vae_scale
        if height % f or width % f:
            raise ValueError(f'Image size {height}x{width} is not a multiple of the VAE\'s '
                             f'downsampling factor {f}.')
        return (batch, self.model.vae.config.latent_channels, height // f, width // f)

    @torch.no_grad()
    def encode_prompts(self, prompts: Sequence[str]) -> torch.Tensor:
        """Text-encoder states of ``[uncond_prompt, ...]`` then ``prompts`` (``2B x L x D``)."""
        tok = self.model.tokenizer
        ids = tok(list(prompts), padding='max_length', max_length=tok.model_max_length,
                  truncation=True, return_tensors='pt').input_ids.to(self.model.device)
        cond = self.model.text_encoder(ids)[0]
        if self._uncond is None:
            empty = tok([self.uncond_prompt], padding='max_length',
                        max_length=tok.model_max_length, truncation=True,
                        return_tensors='pt').input_ids.to(self.model.device)
            self._uncond = self.model.text_encoder(empty)[0]
        return torch.cat([self._uncond.expand_as(cond), cond])

    @torch.no_grad()
    def encode_images(self, images: torch.Tensor, latent_noise: Optional[torch.Tensor] = None):
        """Scaled latents of ``images`` (``[0, 1]``) and of the masked image (all zeros in the
        VAE's [-1, 1] units). The image latents are the VAE's mean, or with ``latent_noise``
        (standard normal, the latents' shape) its sample ``mean + std * latent_noise``."""
        vae = self.model.vae
        x = (images.to(self.model.device, self.model.dtype) * 2 - 1)
        sf = vae.config.scaling_factor
        dist = vae.encode(x).latent_dist
        z_in = dist.mean if latent_noise is None else \
            dist.mean + dist.std * latent_noise.to(dist.mean.device, dist.mean.dtype)
        z_in = z_in * sf
        masked = vae.encode(torch.zeros_like(x[:1])).latent_dist.mean * sf
        return z_in, masked.expand_as(z_in)

    def timesteps(self) -> torch.Tensor:
        s = self.settings
        sched = self.model.scheduler
        sched.set_timesteps(s.steps, device=self.model.device)
        start = s.steps - min(int(s.steps * s.strength), s.steps)
        return sched.timesteps[start * sched.order:]

    def denoise(self, z_in: torch.Tensor, eps: torch.Tensor, cond: torch.Tensor,
                masked: torch.Tensor) -> torch.Tensor:
        """Eqs. (4)-(5): noise ``z_in`` with ``eps`` at the first timestep, then DDIM
        (``eta = 0``) with classifier-free guidance; returns ``z_0``. Differentiable when
        gradients are enabled."""
        sched = self.model.scheduler
        ts = self.timesteps()
        dtype = self.model.dtype
        z = sched.add_noise(z_in, eps.to(dtype), ts[:1])
        mask = torch.ones_like(z[:, :1])
        g = self.settings.guidance_scale
        for t in ts:
            zz = sched.scale_model_input(torch.cat([z, z]), t)
            inp = torch.cat([zz, torch.cat([mask, mask]), torch.cat([masked, masked])], dim=1)
            out = self.model.unet(inp, t, encoder_hidden_states=cond).sample
            uncond, text = out.chunk(2)
            z = sched.step(uncond + g * (text - uncond), t, z).prev_sample
        return z

    def decode(self, z0: torch.Tensor) -> torch.Tensor:
        """Eq. (6): the image in ``[0, 1]`` (float32), differentiable w.r.t. ``z0``."""
        return self.decode_unscaled(z0 / self.model.vae.config.scaling_factor)

    def decode_unscaled(self, u: torch.Tensor) -> torch.Tensor:
        """The image of the unscaled latent ``u = z0 / scaling_factor`` (the VAE's input)."""
        x = self.model.vae.decode(u).sample
        return (x.float() / 2 + 0.5).clamp(0, 1)

    def loss(self, images: torch.Tensor, classifier: Callable) -> torch.Tensor:
        s = self.settings
        return self.loss_fn(classifier(images), m_out=s.m_out, tau=s.tau)

    # ------------------------------------------------------------------ the loop
    def __call__(self, images: torch.Tensor, prompts: Sequence[str], noise: torch.Tensor,
                 classifier: Optional[Callable] = None,
                 latent_noise: Optional[torch.Tensor] = None) -> InpaintResult:
        """Guided inpainting of ``images`` (``B x 3 x H x W``, ``[0, 1]``) with one context
        prompt each, from the initial ``noise`` (``B x 4 x H/f x W/f``). Without a classifier
        (or with ``outer_iters = 0``) this is plain inpainting. ``latent_noise`` (the noise's
        shape) is the VAE sample's draw, needed with ``latent='sample'`` and refused
        otherwise."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f'images must be B x 3 x H x W in [0, 1], got {tuple(images.shape)}.')
        if len(prompts) != images.shape[0]:
            raise ValueError(f'{len(prompts)} prompts for {images.shape[0]} images.')
        shape = self.latent_shape(*images.shape[:1], *images.shape[2:])
        if tuple(noise.shape) != shape:
            raise ValueError(f'noise has shape {tuple(noise.shape)}, expected {shape}.')
        s = self.settings
        if (s.latent == 'sample') != (latent_noise is not None):
            raise ValueError(f"latent={s.latent!r}: pass latent_noise (the VAE sample's "
                             "standard normal draw) exactly when latent='sample'.")
        if latent_noise is not None and tuple(latent_noise.shape) != shape:
            raise ValueError(f'latent_noise has shape {tuple(latent_noise.shape)}, expected '
                             f'{shape}.')
        cond = self.encode_prompts(prompts)
        z_in, masked = self.encode_images(images, latent_noise)
        eps = noise.to(self.model.device, torch.float32)
        iters = s.outer_iters if classifier is not None else 0
        losses: List[torch.Tensor] = []
        for _ in range(iters):
            if s.gradient == 'skip':
                with torch.no_grad():
                    z0 = self.denoise(z_in, eps, cond, masked)
                u = (z0 / self.model.vae.config.scaling_factor).detach().requires_grad_(True)
                loss = self.loss(self.decode_unscaled(u), classifier)
                # the sum of per-image losses: each image gets its own loss's gradient
                grad, = torch.autograd.grad(loss.sum(), u)
            else:
                eps_var = eps.detach().requires_grad_(True)
                z0 = self.denoise(z_in, eps_var, cond, masked)
                loss = self.loss(self.decode(z0), classifier)
                grad, = torch.autograd.grad(loss.sum(), eps_var)
            losses.append(loss.detach().float().cpu())
            eps = eps - s.step_size * grad.float()
        with torch.no_grad():
            final = self.decode(self.denoise(z_in, eps, cond, masked))
            if classifier is not None:
                losses.append(self.loss(final, classifier).float().cpu())
            else:
                losses.append(torch.full((images.shape[0], ), float('nan')))
        return InpaintResult(final.float().cpu(), torch.stack(losses), eps.cpu())
