"""Text embeddings of class vocabularies: template ensembles, synonyms, caching.

For class ``c`` with synonyms ``n_1..n_S`` and templates ``t_1..t_T`` the embedding is

    e_c = normalise( mean_{s,t} normalise( E_text( t(n_s) ) ) )

i.e. every prompt is encoded and L2-normalised, all ``S x T`` prompts of the class are averaged
(the CLIP paper's prompt ensembling, with synonyms pooled like templates as in FC-CLIP), and the
mean is normalised again.

Each vocabulary is encoded once per process (an in-memory cache) and persisted on disk under
``$MMOPEN_CACHE_DIR/text_embeddings/<key>.safetensors`` (default
``~/.cache/mmopen/text_embeddings``), the key being a SHA-256 over (model name, weights digest,
templates, vocabulary), so a new model, weight file, template set or class list never reuses a
stale entry. Files are written to a temporary name and renamed.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmopen.utils.io import atomic_path
from mmopen.utils.progress import progress_bar

CACHE_ENV = 'MMOPEN_CACHE_DIR'
_MEMORY: Dict[str, torch.Tensor] = {}


def default_cache_dir() -> str:
    return os.environ.get(CACHE_ENV) or osp.join(osp.expanduser('~'), '.cache', 'mmopen')


def resolve_cache_dir(cache_dir: Union[None, bool, str]) -> Optional[str]:
    """``None`` / ``True``: the default folder; ``False``: no disk cache; else the path."""
    if cache_dir is False:
        return None
    return default_cache_dir() if cache_dir in (None, True) else cache_dir


def embedding_key(model_name: str, weights_digest: str, templates: Sequence[str],
                  vocabulary: Sequence[Sequence[str]]) -> str:
    payload = json.dumps(
        dict(v=1, model=model_name, weights=weights_digest, templates=list(templates),
             vocabulary=[list(c) for c in vocabulary]),
        sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode('utf-8')).hexdigest()


@torch.no_grad()
def ensemble_embeddings(encode: Callable[[List[str]], torch.Tensor],
                        vocabulary: Sequence[Sequence[str]],
                        templates: Sequence[str],
                        batch_size: int = 1024) -> torch.Tensor:
    """Encode every (synonym, template) prompt with ``encode`` (a list of strings -> ``N x D``)
    in chunks of ``batch_size`` and return the normalised per-class means (``C x D``, float32).
    More than one chunk shows a progress bar on a terminal (:mod:`mmopen.utils.progress`)."""
    prompts: List[str] = []
    owner: List[int] = []
    for c, names in enumerate(vocabulary):
        for name in names:
            for t in templates:
                prompts.append(t.format(name))
                owner.append(c)
    chunks = []
    starts = range(0, len(prompts), batch_size)
    # a bar (on a terminal) when the encoding takes more than one chunk: a real vocabulary's
    # prompts through a real-size text tower on CPU take minutes
    with progress_bar(len(starts), f'text embeddings ({len(vocabulary)} classes, '
                      f'{len(prompts)} prompts)', 'chunk',
                      enabled=None if len(starts) > 1 else False) as bar:
        for i in starts:
            chunks.append(F.normalize(encode(prompts[i:i + batch_size]).float(), dim=-1))
            bar.update(1)
    emb = torch.cat(chunks)
    index = torch.tensor(owner, device=emb.device)
    sums = torch.zeros(len(vocabulary), emb.shape[1], device=emb.device).index_add_(0, index, emb)
    return F.normalize(sums, dim=-1)


def load_cached(key: str, cache_dir: Optional[str]) -> Optional[torch.Tensor]:
    if key in _MEMORY:
        return _MEMORY[key]
    if cache_dir is None:
        return None
    path = osp.join(cache_dir, 'text_embeddings', f'{key}.safetensors')
    if not osp.isfile(path):
        return None
    from safetensors.torch import load_file
    try:
        emb = load_file(path)['embeddings']
    except Exception:  # a corrupt cache entry is recomputed, not fatal
        return None
    _MEMORY[key] = emb
    return emb


def store_cached(key: str, emb: torch.Tensor, cache_dir: Optional[str]) -> None:
    _MEMORY[key] = emb
    if cache_dir is None:
        return
    from safetensors.torch import save_file

    try:
        with atomic_path(osp.join(cache_dir, 'text_embeddings', f'{key}.safetensors')) as tmp:
            save_file({'embeddings': emb.detach().cpu().contiguous()}, tmp)
    except OSError:
        pass  # read-only cache: the in-process cache still avoids re-encoding


def clear_memory_cache() -> None:
    _MEMORY.clear()
