"""Registered OOD score components: thin shells over :mod:`mmopen.ood.scores`.

Configs name them in a classifier's ``scores`` list, e.g.
``scores=[dict(type='NegLabelScore', groups=100), dict(type='MCMScore')]``. Each has a ``name``
(the key under which its values are reported) and is called with cosine similarities
(``id_sims``: ``B x C``; ``neg_sims``: ``B x N`` or ``None``), returning ``B`` scores,
higher = more in-distribution.
"""
from typing import Optional

import torch
from mmpretrain.registry import MODELS

from mmopen.ood import scores as ood_scores
from mmopen.ood.adaneg import run_stream, stream_state


class OODScore:
    """Base class: a named, configured score function.

    ``needs_negatives``: reads the negative-label similarities; ``needs_local``: reads the
    per-patch similarities to the ID classes (``B x P x C``, passed as ``local_sims``);
    ``stream``: a test-time score whose value depends on the other test samples (AdaNeg), so the
    classifier reports its per-sample inputs and ``OODMetric`` runs the stream.
    """
    default_name = 'score'
    needs_negatives = False
    needs_local = False
    stream = False

    def __init__(self, name: Optional[str] = None):
        self.name = name or self.default_name

    def compute(self, id_sims: torch.Tensor, neg_sims: Optional[torch.Tensor],
                neg_ordered: bool = False) -> torch.Tensor:
        raise NotImplementedError

    def neg_order(self, num_neg: int) -> Optional[torch.Tensor]:
        """The column order this score reads the negatives in, if any: a classifier that
        stores its negative text bank in this order once passes ``neg_ordered=True`` and saves a
        gather per batch."""
        return None

    def __call__(self, id_sims: torch.Tensor, neg_sims: Optional[torch.Tensor] = None,
                 neg_ordered: bool = False, local_sims: Optional[torch.Tensor] = None):
        """``neg_ordered``: the columns of ``neg_sims`` already follow :meth:`neg_order`."""
        if self.needs_negatives and neg_sims is None:
            raise ValueError(f'{type(self).__name__} ({self.name}) needs negative-label '
                             'similarities: configure the classifier with `neg_labels` (a '
                             'label file, e.g. from tools/ood/mine_neg_labels.py).')
        if self.needs_local:
            if local_sims is None:
                raise ValueError(f'{type(self).__name__} ({self.name}) needs per-patch '
                                 'similarities: use it in CLIPOODClassifier (which computes '
                                 'them when a score asks), or pass local_sims.')
            return self.compute_local(id_sims, local_sims)
        return self.compute(id_sims, neg_sims, neg_ordered)

    def compute_local(self, id_sims: torch.Tensor, local_sims: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


@MODELS.register_module()
class MSPScore(OODScore):
    default_name = 'MSP'

    def __init__(self, tau: float = 0.01, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.msp(id_sims, self.tau)


@MODELS.register_module()
class MaxLogitScore(OODScore):
    default_name = 'MaxLogit'

    def __init__(self, tau: float = 0.01, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.max_logit(id_sims, self.tau)


@MODELS.register_module()
class EnergyScore(OODScore):
    default_name = 'Energy'

    def __init__(self, tau: float = 0.01, temperature: float = 1.0, name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.temperature = temperature

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.energy(id_sims, self.tau, self.temperature)


@MODELS.register_module()
class MCMScore(OODScore):
    default_name = 'MCM'

    def __init__(self, temperature: float = 1.0, name: Optional[str] = None):
        super().__init__(name)
        self.temperature = temperature

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.mcm(id_sims, self.temperature)


@MODELS.register_module()
class NegLabelScore(OODScore):
    """NegLabel with ``groups`` groups of negatives (fixed permutation ``seed``)."""
    default_name = 'NegLabel'
    needs_negatives = True

    def __init__(self, tau: float = 0.01, groups: int = 100, seed: int = 0,
                 name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.groups = groups
        self.seed = seed

    def neg_order(self, num_neg: int) -> torch.Tensor:
        return ood_scores.neglabel_group_index(num_neg, self.groups, self.seed).flatten()

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        if neg_ordered:
            keep = neg_sims.shape[1] - neg_sims.shape[1] % self.groups
            return ood_scores.neglabel(id_sims, neg_sims[:, :keep], self.tau, self.groups,
                              grouped=True)
        return ood_scores.neglabel(id_sims, neg_sims, self.tau, self.groups, self.seed)


@MODELS.register_module()
class CSPScore(NegLabelScore):
    """CSP (Chen et al., NeurIPS 2024): NegLabel's grouped score (same formula and defaults,
    ``tau = 0.01``, 100 groups, seed 0) over CSP's pool of negatives, i.e. with a classifier
    whose ``neg_labels`` were mined with ``tools/ood/mine_neg_labels.py --method csp`` (nouns +
    conjugated superclass labels, :mod:`mmopen.ood.csp`). Reported as ``CSP``."""
    default_name = 'CSP'


@MODELS.register_module()
class DeltaEnergyScore(OODScore):
    """ΔEnergy with the top ``top_c`` similarities cropped to ``crop_value``."""
    default_name = 'DeltaEnergy'

    def __init__(self, tau: float = 0.01, top_c: int = 1, crop_value: float = 0.0,
                 name: Optional[str] = None):
        super().__init__(name)
        self.tau = tau
        self.top_c = top_c
        self.crop_value = crop_value

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        return ood_scores.delta_energy(id_sims, self.tau, self.top_c, self.crop_value)


@MODELS.register_module()
class GLMCMScore(OODScore):
    """GL-MCM: global MCM + ``lambda_local`` x the largest per-patch MCM
    (:func:`mmopen.ood.scores.gl_mcm`)."""
    default_name = 'GL-MCM'
    needs_local = True

    def __init__(self, temperature: float = 1.0, lambda_local: float = 1.0,
                 name: Optional[str] = None):
        super().__init__(name)
        self.temperature = temperature
        self.lambda_local = lambda_local

    def compute_local(self, id_sims, local_sims):
        return ood_scores.gl_mcm(id_sims, local_sims, self.temperature, self.lambda_local)


@MODELS.register_module()
class AdaNegScore(OODScore):
    """AdaNeg (:mod:`mmopen.ood.adaneg`): a test-time score over a stream.

    The classifier reports each sample's image feature; ``OODMetric`` then runs, for every OOD
    set, a stream of the ID set and that OOD set shuffled with ``stream_seed`` (at
    ``id_ood_ratio`` ID samples per OOD sample, or all samples when ``None``), with the memory
    reset in between, and reports the scores of that stream. The ID scores therefore differ per
    OOD set. Other arguments are those of :func:`mmopen.ood.adaneg.adaneg_scores`; the defaults
    are the release's ImageNet settings but for ``memory_size`` (release: 9) and
    ``target_negatives`` (release: ``'all'``), which ``configs/ood/adaneg/`` set as released.
    """
    default_name = 'AdaNeg'
    needs_negatives = True
    stream = True

    def __init__(self, tau: float = 0.01, groups: int = 5, seed: int = 0,
                 memory_size: int = 10, threshold: float = 0.5, gap: float = 0.5,
                 lambda_vanilla: float = 0.1, sample_adaptive: bool = False, beta: float = 5.0,
                 batch_size: int = 256, stream_seed: int = 0,
                 id_ood_ratio: Optional[float] = None, target_negatives: str = 'kept',
                 name: Optional[str] = None):
        super().__init__(name)
        if target_negatives not in ('kept', 'all'):
            raise ValueError(f"target_negatives={target_negatives!r}: 'kept' or 'all' (the "
                             'release), see mmopen.ood.adaneg.adaneg_scores.')
        self.settings = dict(tau=tau, groups=groups, seed=seed, memory_size=memory_size,
                             threshold=threshold, gap=gap, lambda_vanilla=lambda_vanilla,
                             sample_adaptive=sample_adaptive, beta=beta,
                             batch_size=batch_size, target_negatives=target_negatives)
        self.stream_seed = stream_seed
        self.id_ood_ratio = id_ood_ratio
        self.state: Optional[dict] = None  # made by bind()

    def neg_order(self, num_neg: int) -> torch.Tensor:
        return ood_scores.neglabel_group_index(num_neg, self.settings['groups'],
                                               self.settings['seed']).flatten()

    def bind(self, id_bank: torch.Tensor, neg_bank: torch.Tensor, neg_ordered: bool) -> str:
        """Make the stream's state from the text bank (negatives as the classifier stores
        them): plain values (:func:`mmopen.ood.adaneg.stream_state`) under a key."""
        import hashlib
        state = stream_state(id_bank, neg_bank, neg_ordered, self.settings, self.stream_seed,
                             self.id_ood_ratio)
        digest = hashlib.sha1()
        for t in (state['id_bank'], state['neg_bank']):
            digest.update(t.contiguous().numpy().tobytes())
        digest.update(repr((sorted(self.settings.items()), neg_ordered, self.stream_seed,
                            self.id_ood_ratio)).encode())
        state['key'] = f'{self.name}:{digest.hexdigest()[:16]}'
        self.state = state
        return self.key

    @property
    def key(self) -> Optional[str]:
        """The bound state's key (``None`` before :meth:`bind`)."""
        return None if self.state is None else self.state['key']

    def stream_inputs(self, features: torch.Tensor, **_) -> dict:
        if self.key is None:
            raise RuntimeError(f'{self.name}: bind() the text bank first (CLIPOODClassifier '
                               'does when it is built).')
        # the state (banks and settings, values made once) rides along by reference: OODMetric
        # keeps it (per process) to run the stream; the gathered results carry only the key
        # and the features
        return dict(key=self.key, state=self.state,
                    inputs=dict(feature=features.float().cpu()))

    def run(self, id_feats: torch.Tensor, ood_feats: torch.Tensor):
        """:func:`mmopen.ood.adaneg.run_stream` on this score's state."""
        return run_stream(self.state, id_feats, ood_feats)

    def compute(self, id_sims, neg_sims, neg_ordered=False):
        raise RuntimeError(f'{self.name} is a stream score: its values come from OODMetric, '
                           'which runs the test stream (see mmopen.ood.adaneg).')


def build_scores(cfgs) -> list:
    """Build score components from configs (or pass instances through); names must be unique."""
    scores = [MODELS.build(c) if isinstance(c, dict) else c for c in cfgs]
    names = [s.name for s in scores]
    if len(set(names)) != len(names):
        raise ValueError(f'OOD score names must be unique, got {names}: give repeated types '
                         'a `name=`.')
    return scores
