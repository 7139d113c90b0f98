"""SeeCLIP (open-set domain generalisation): the pure parts behind
``mmopen.models.osdg.SeeCLIPClassifier``. Its diffusion sampler is :mod:`mmopen.diffusion`'s,
shared with SynOOD.

* :mod:`.semantic_tokens` -- learnable-query attention over patch tokens, and its perturbation;
* :mod:`.losses` -- alignment, duplex contrastive (repulsion, cohesion), L1 regulariser;
* :mod:`.pseudo_unknowns` -- diffusion-made pseudo-unknowns guided by perturbed tokens;
* :mod:`.writer` -- the sources, generator and records of the pre-generation behind
  ``tools/seeclip/generate_pseudo_unknowns.py`` (through :mod:`mmopen.utils.sharded_writer`).
"""
from .losses import alignment_loss, cohesion_loss, l1_regulariser, repulsion_loss, seeclip_losses
from .pseudo_unknowns import (DEFAULT_GUIDANCE, DEFAULT_PROMPT, PseudoUnknownGenerator,
                              TokenGuidedInpainter, token_distance)
from .semantic_tokens import SemanticTokens, flatten_patches, perturb_tokens, semantic_tokens

__all__ = [
    'alignment_loss', 'cohesion_loss', 'l1_regulariser', 'repulsion_loss', 'seeclip_losses',
    'DEFAULT_GUIDANCE', 'DEFAULT_PROMPT', 'PseudoUnknownGenerator', 'TokenGuidedInpainter',
    'token_distance', 'SemanticTokens', 'flatten_patches', 'perturb_tokens', 'semantic_tokens'
]
