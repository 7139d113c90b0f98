"""``SynOODTransform``: an ID sample in, its near-boundary OOD counterpart out (online SynOOD)."""
import os
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS

from mmopen.ood.synood.generator import SynOODGenerator
from mmopen.utils.sharded_writer import sample_seed


def worker_device(requested: Optional[str] = None) -> str:
    """The device this process's SynOOD models go to, for the process it is called in (the
    main process, or a dataloader worker where the transform loads them).

    ``None`` means CUDA when available, else CPU; ``'cuda'`` means this rank's GPU,
    ``cuda:$LOCAL_RANK`` (a dataloader worker inherits its rank's environment, while its current
    CUDA device would be GPU 0 on every rank). A CUDA device in a worker *forked* from a process
    that had already initialised CUDA cannot work (CUDA does not survive ``fork``): that is a
    clear error naming the fix, ``multiprocessing_context='spawn'`` on the dataloader."""
    import torch
    device = requested or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda':
        device = f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
    if device.startswith('cuda') and torch.cuda._is_in_bad_fork():
        raise RuntimeError(
            f'SynOODTransform: this dataloader worker was forked from a process that uses CUDA, '
            f'so it cannot put its models on {device!r}. Start the workers with spawn: set '
            "multiprocessing_context='spawn' in the dataloader config (e.g. "
            "train_dataloader=dict(..., multiprocessing_context='spawn')), or num_workers=0.")
    return device


@TRANSFORMS.register_module()
class SynOODTransform(BaseTransform):
    """Replace ``results['img']`` (an ID image) with a SynOOD image made from it and its label
    with the mined negative label.

    Place it after ``LoadImageFromFile`` in any mmpretrain pipeline. The models (inpainting
    components, CLIP, guidance classifier) load on first use, once per process or dataloader
    worker, and are never pickled. The noise comes from ``sample_seed(seed, img_path)``, so a
    sample's output does not depend on the worker, the epoch or the batch it falls in. Each
    sample costs a full guided inpainting: online use suits small runs; for a data set, write
    the images once with ``tools/synood/generate.py`` and train on its manifest.

    With CUDA and ``num_workers > 0``, give the dataloader ``multiprocessing_context='spawn'``:
    each worker then loads its own models on its rank's GPU (``cuda:$LOCAL_RANK``, see
    :func:`worker_device`). A forked worker of a CUDA process cannot use CUDA; the transform
    says so instead of failing inside CUDA. ``loaded_in`` records where the models were loaded
    (process id, worker id, device).

    Added / changed keys: ``img`` (BGR ``uint8``, ``resolution`` square, as ``LoadImageFromFile``
    gives), ``img_shape``, ``gt_label`` (``label_offset + negative index``: with the default
    offset, the number of ID classes, labels index ``[ID classes + negative labels]``, the class
    space of ``SynOODClassifier``), ``synood`` (``neg_label``, ``context``, ``prompt``, ``seed``,
    ``losses``, ``source_label``).

    Args:
        generator: :class:`mmopen.ood.synood.SynOODGenerator` arguments (``inpaint_model``,
            ``clip``, ``neg_labels``, ``vocabulary``, ``classifier``, ``context``, ``template``,
            ``guidance``, ``resolution``, ``device``, ``fp16``).
        seed: the base seed.
        label_offset: added to the negative index (default: the number of ID classes).
        channel_order: of ``results['img']`` (``'bgr'``, as mmcv loads, or ``'rgb'``).
    """

    def __init__(self, generator: dict, seed: int = 0, label_offset: Optional[int] = None,
                 channel_order: str = 'bgr'):
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order={channel_order!r}: 'bgr' or 'rgb'.")
        for key in ('inpaint_model', 'clip', 'neg_labels', 'vocabulary'):
            if key not in generator:
                raise ValueError(f'SynOODTransform: generator.{key} is required.')
        self.generator_cfg = dict(generator)
        self.seed = seed
        self.label_offset = label_offset
        self.channel_order = channel_order
        self._generator: Optional[SynOODGenerator] = None
        self.loaded_in: Optional[dict] = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_generator'] = None  # each worker loads its own models
        state['loaded_in'] = None
        return state

    @property
    def generator(self) -> SynOODGenerator:
        if self._generator is None:
            import torch
            info = torch.utils.data.get_worker_info()
            device = worker_device(self.generator_cfg.get('device'))
            if device.startswith('cuda'):
                torch.cuda.set_device(torch.device(device))
            self._generator = SynOODGenerator(**dict(self.generator_cfg, device=device))
            self.loaded_in = dict(pid=os.getpid(), worker=None if info is None else info.id,
                                  device=device)
        return self._generator

    def transform(self, results: dict) -> dict:
        gen = self.generator
        img = results['img']
        if img is None or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'SynOODTransform needs a 3-channel image in results["img"] '
                             f'(after LoadImageFromFile); got {getattr(img, "shape", None)}.')
        rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        path = str(results.get('img_path', results.get('sample_idx', '')))
        label = results.get('gt_label')
        if label is None:
            raise ValueError(f'SynOODTransform needs the ID label of {path!r} (gt_label).')
        label = int(np.asarray(label).reshape(-1)[0])
        seed = sample_seed(self.seed, path)
        out = gen.generate([np.ascontiguousarray(rgb)], [path], [label], [seed])[0]
        new = out.image[..., ::-1] if self.channel_order == 'bgr' else out.image
        offset = len(gen.synonyms) if self.label_offset is None else self.label_offset
        results['img'] = np.ascontiguousarray(new)
        results['img_shape'] = new.shape[:2]
        results['ori_shape'] = new.shape[:2]
        results['gt_label'] = offset + out.neg_index
        results['synood'] = dict(neg_label=out.neg_label, context=out.context,
                                 prompt=out.prompt, seed=seed, losses=out.losses,
                                 source_label=label,
                                 source=osp.normpath(path) if path else path,
                                 loaded_in=dict(self.loaded_in))
        return results

    def __repr__(self) -> str:
        model = self.generator_cfg['inpaint_model']
        return f'{self.__class__.__name__}(inpaint_model={model!r}, seed={self.seed})'
