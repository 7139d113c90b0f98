"""SeeCLIP's pseudo-unknowns (SeeCLIP §3.4, semantic-guided diffusion).

A known image's semantic tokens ``s_k`` are perturbed (``s_k + N(0, sigma^2)``,
:func:`mmopen.osdg.seeclip.semantic_tokens.perturb_tokens`) and a diffusion model generates an
image *whose own semantic tokens are the perturbed ones*: close to the known class in most
respects, different in some of the parts the queries attend to -- a hard unknown, labelled
"unknown".

The paper says the perturbed tokens are used "as control conditions" and gives no more; the
released code prompts Stable Diffusion 1.5 with ``"A {domain} image of an unknown class"``, the
known class names as negative prompt, guidance 15 and 20 steps, and uses no token at all. Here
both are kept and the tokens become the control the paper describes, without training a new
conditioning network, through the guided sampler of :mod:`mmopen.diffusion.inpainting` (the same
loading path and sampler as SynOOD):

* the model is a local SD-2-inpainting-compatible folder with a whole-image mask, started from
  the known image at ``strength`` (default 0.6: the result stays near the known image);
* classifier-free guidance runs between the prompt ``"A {domain} image of an unknown class"``
  and the *negative prompt* (the known class names) instead of the empty prompt, weight 15;
* the guidance loss is ``L = sum_k || s_k(x) - (s_k(x_0) + noise_k) ||^2``, the squared distance
  of the generated image's semantic tokens to the perturbed tokens of the source image
  ``x_0``; the initial noise is moved against its skip gradient (SynOOD eq. 9-10), so the tokens
  of the result move to the perturbed ones (the loss drops; tested).

This is a reconstruction of an under-specified step, stated as such.
"""
from dataclasses import replace
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmopen.diffusion.images import from_uint8, to_uint8
from mmopen.diffusion.inpainting import GuidanceSettings, GuidedInpainter
from mmopen.diffusion.loading import load_inpaint_model
from .semantic_tokens import NOISE_SCALES, perturb_tokens

DEFAULT_PROMPT = 'A {domain} image of an unknown class'
# the released code's sampler settings; strength / outer iterations / step are this module's
DEFAULT_GUIDANCE = dict(strength=0.6, steps=20, guidance_scale=15.0, outer_iters=3,
                        step_size=1.7)


class TokenGuidedInpainter(GuidedInpainter):
    """:class:`GuidedInpainter` whose guidance loss is whatever ``classifier(images)`` returns
    (one value per image); its classifier-free guidance contrasts the prompt with the negative
    prompt (``uncond_prompt``)."""

    def loss(self, images: torch.Tensor, classifier: Callable) -> torch.Tensor:
        return classifier(images)


class PseudoUnknowns(NamedTuple):
    images: torch.Tensor  # B x 3 x R x R in [0, 1]
    losses: torch.Tensor  # (outer_iters + 1) x B: token distance after k noise updates
    prompts: List[str]


def token_distance(tokens: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``sum_k || s_k - t_k ||^2`` per image (``B x K x D`` -> ``B``)."""
    return (tokens.float() - target.float()).pow(2).sum(dim=(1, 2))


class PseudoUnknownGenerator:
    """Pseudo-unknowns from known images (see the module docstring).

    Args:
        inpaint_model: local SD-2-inpainting-compatible folder (as for SynOOD).
        class_names: the known classes: the negative prompt is ``', '.join(class_names)``.
        sigma: the token perturbation (0.2, the paper's best; the released code has 0.1).
        noise: ``'absolute'`` (the release: ``s + sigma * N(0, I)``) or ``'rms'`` (default:
            ``sigma`` in units of each token's RMS, the quickstart's); see
            :func:`~mmopen.osdg.seeclip.semantic_tokens.perturb_tokens`.
        prompt: the positive prompt, with ``{domain}``.
        prompt_domain: the word put for ``{domain}`` in every prompt (the release puts its
            first source domain, ``domainnames[0]``, for every image); ``None`` (default): each
            image's own domain.
        guidance: :class:`mmopen.diffusion.GuidanceSettings` overrides of
            :data:`DEFAULT_GUIDANCE`.
        resolution: square size of the generated images.
        device / fp16: as for SynOOD (fp16 needs CUDA).
    """

    def __init__(self,
                 inpaint_model: str,
                 class_names: Sequence[str],
                 sigma: float = 0.2,
                 prompt: str = DEFAULT_PROMPT,
                 noise: str = 'rms',
                 prompt_domain: Optional[str] = None,
                 guidance: Optional[dict] = None,
                 resolution: int = 512,
                 device: Optional[str] = None,
                 fp16: bool = False):
        if '{domain}' not in prompt:
            raise ValueError(f'prompt {prompt!r} must contain "{{domain}}".')
        if sigma < 0:
            raise ValueError(f'sigma={sigma}: must be >= 0.')
        if noise not in NOISE_SCALES:
            raise ValueError(f'noise={noise!r}: use one of {NOISE_SCALES}.')
        if prompt_domain is not None and not str(prompt_domain).strip():
            raise ValueError('prompt_domain is empty: give a domain word or None (each '
                             "image's own domain).")
        self.noise_scale, self.prompt_domain = noise, prompt_domain
        device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.settings = GuidanceSettings.from_dict(dict(DEFAULT_GUIDANCE, **(guidance or {})))
        self.model = load_inpaint_model(inpaint_model, device=device, fp16=fp16)
        self.negative_prompt = ', '.join(class_names)
        self._check_negative_prompt(class_names)
        self.inpainter = TokenGuidedInpainter(self.model, self.settings, self.negative_prompt)
        self.latent_hw = self.inpainter.latent_shape(1, resolution, resolution)[2:]
        self.sigma, self.prompt, self.resolution, self.device = sigma, prompt, resolution, device

    def _check_negative_prompt(self, class_names: Sequence[str]) -> None:
        """Warn when the text encoder's context cuts the negative prompt (SD: 77 tokens, about
        30 class names), naming how many classes it keeps."""
        tok = self.model.tokenizer
        limit = tok.model_max_length
        if len(tok(self.negative_prompt).input_ids) <= limit:
            return
        kept = 0
        while kept < len(class_names) and len(
                tok(', '.join(class_names[:kept + 1])).input_ids) <= limit:
            kept += 1
        from mmengine.logging import print_log
        print_log(f'The negative prompt of {len(class_names)} class names is longer than the '
                  f'text encoder\'s {limit} tokens: only the first {kept} names steer the '
                  'generation away.', logger='current', level=30)

    def noise(self, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(int(seed))
        return torch.randn((1, self.model.vae.config.latent_channels, *self.latent_hw),
                           generator=gen)

    def __call__(self, images: torch.Tensor, domains: Sequence[str], seeds: Sequence[int],
                 token_fn: Callable[[torch.Tensor], torch.Tensor]) -> PseudoUnknowns:
        """Pseudo-unknowns of ``images`` (``B x 3 x R x R`` in ``[0, 1]``, any ``R``: resized)
        from domains ``domains``; ``token_fn`` maps images in ``[0, 1]`` to their semantic
        tokens (``B x K x D``, differentiable w.r.t. the images); ``seeds`` give each image
        its diffusion noise and its token perturbation."""
        if len(domains) != images.shape[0] or len(seeds) != images.shape[0]:
            raise ValueError(f'{images.shape[0]} images, {len(domains)} domains, {len(seeds)} '
                             'seeds: give one of each per image.')
        x = images.float().cpu()
        if x.shape[-1] != self.resolution or x.shape[-2] != self.resolution:
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode='bicubic',
                              align_corners=False, antialias=True).clamp(0, 1)
        with torch.no_grad():
            tokens = token_fn(x.to(self.device)).float()
        targets = []
        for i, seed in enumerate(seeds):
            gen = torch.Generator().manual_seed(int(seed) + 1)
            targets.append(perturb_tokens(tokens[i:i + 1].cpu(), self.sigma, gen,
                                          self.noise_scale))
        target = torch.cat(targets).to(tokens.device)
        prompts = [self.prompt.format(domain=self.prompt_domain or d) for d in domains]
        noise = torch.cat([self.noise(s) for s in seeds])
        result = self.inpainter(x, prompts, noise,
                                lambda imgs: token_distance(token_fn(imgs), target))
        return PseudoUnknowns(result.images, result.losses, prompts)

    def generate_uint8(self, images: Sequence[np.ndarray], domains: Sequence[str],
                       seeds: Sequence[int], token_fn) -> List[np.ndarray]:
        """:meth:`__call__` on RGB ``uint8`` arrays (centre-cropped, resized)."""
        return to_uint8(self(from_uint8(images, self.resolution), domains, seeds,
                             token_fn).images)

    def describe(self) -> Dict[str, object]:
        return dict(inpaint_model=self.model.path, resolution=self.resolution,
                    sigma=self.sigma, noise=self.noise_scale, prompt=self.prompt,
                    prompt_domain=self.prompt_domain, negative_prompt=self.negative_prompt,
                    guidance=self.settings.to_dict())


def with_settings(generator: PseudoUnknownGenerator, **overrides) -> PseudoUnknownGenerator:
    """A view of ``generator`` with other guidance settings (shares the loaded model)."""
    import copy
    other = copy.copy(generator)
    other.settings = replace(generator.settings, **overrides)
    other.inpainter = TokenGuidedInpainter(generator.model, other.settings,
                                           generator.negative_prompt)
    return other
