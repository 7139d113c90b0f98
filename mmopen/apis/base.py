"""What mmopen's inferencers share (mmengine's ``BaseInferencer``, as mmseg's and mmpretrain's):

* the model from a config given as a path, a ``Config``, or a config *name* (the file name
  without ``.py`` of a config under the repository's ``configs/``, e.g.
  ``'ovsnet_clip-tiny-convnext_quickstart'``), and weights given as the tools take them: a
  checkpoint file, ``last:WORK_DIR``, ``best:WORK_DIR``, ``best_<KEY>:WORK_DIR``, or ``'none'``
  (``None``) for models whose weights all come from their own files (zero-shot CLIP models);
* the config's test pipeline without annotation loading, so an image goes through exactly what
  ``tools/test.py`` runs on it;
* inputs: image paths, folders (their image files, sorted by name), or RGB ``uint8`` arrays
  (``H x W x 3``, as PIL, Gradio and matplotlib hold them), alone or in a list.
"""
import csv
import difflib
import glob
import io
import os
import os.path as osp
from collections import Counter
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS, init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from PIL import Image

import mmopen  # noqa: F401  (registers mmopen's modules first)
from mmopen.compat.checkpoint import load_checkpoint_file
from mmopen.utils import resolve_checkpoint
from mmopen.utils.io import write_text_atomic
from mmopen.utils.progress import show_progress as progress_wanted

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def default_config_root() -> str:
    """The checkout's ``configs/`` when mmopen runs from one, else the copy a wheel ships in
    ``mmopen/.mim/configs`` (as OpenMMLab packages ship theirs)."""
    checkout = osp.join(REPO, 'configs')
    if osp.isfile(osp.join(REPO, 'setup.py')) and osp.isdir(checkout):
        return checkout
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs')


CONFIG_ROOT = default_config_root()
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]
ConfigType = Union[Config, ConfigDict]


def _config_names(root: str) -> dict:
    """``{name: [paths]}`` of the configs under ``root``, ``_base_`` files left out."""
    names: dict = {}
    for path in sorted(glob.glob(osp.join(glob.escape(root), '**', '*.py'), recursive=True)):
        if f'{os.sep}_base_{os.sep}' not in path:
            names.setdefault(osp.basename(path)[:-3], []).append(path)
    return names


def find_config(name: str, root: str = CONFIG_ROOT) -> str:
    """A config path: ``name`` itself when it is a file, else the one ``<name>.py`` under
    ``root`` (the repository's ``configs/``)."""
    if osp.isfile(name):
        return name
    stem = osp.basename(name)[:-3] if name.endswith('.py') else osp.basename(name)
    names = _config_names(root)
    found = names.get(stem, [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ValueError(f'Config name {name!r} matches {len(found)} configs: '
                         f'{[osp.relpath(f, root) for f in found]}; give the path.')
    close = difflib.get_close_matches(stem, list(names), n=3, cutoff=0.5)
    hint = f' Did you mean {close}?' if close else ''
    raise FileNotFoundError(f'No config file {name!r} and no config named {stem!r} under '
                            f'{root}.{hint} Give a config path, or the name of one that '
                            'mmopen.apis.list_models() lists.')


def list_models(pattern: str = '', root: str = CONFIG_ROOT) -> List[str]:
    """The config names under ``root`` (``configs/``) that contain ``pattern``."""
    return sorted(n for n in _config_names(root) if pattern in n)


def load_config(model: Union[str, Config, dict], cfg_options: Optional[dict] = None) -> Config:
    """A ``Config`` from a path, a config name, a ``Config`` or a dict (copied), with
    ``cfg_options`` (``{'a.b': value}``, as ``--cfg-options``) merged in."""
    if isinstance(model, str):
        cfg = Config.fromfile(find_config(model))
    elif isinstance(model, Config):
        cfg = model.copy()
    elif isinstance(model, dict):
        cfg = Config(dict(model))
    else:
        raise TypeError(f'model must be a config path, a config name or a Config, got '
                        f'{type(model).__name__}.')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def checkpoint_file(weights: Optional[str]) -> Optional[str]:
    """A weights argument -> a checkpoint file, or ``None`` for ``None`` / ``'none'``."""
    if weights is None or weights == 'none':
        return None
    try:
        return resolve_checkpoint(str(weights))
    except SystemExit as e:  # the tools' message, as an exception an API caller can catch
        raise FileNotFoundError(str(e)) from None


def expand_inputs(inputs: InputsType) -> List[InputType]:
    """Paths, folders (their image files, sorted) and RGB arrays, as a flat list; checks each."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    out: List[InputType] = []
    for item in items:
        if isinstance(item, np.ndarray):
            if item.ndim != 3 or item.shape[2] != 3 or item.dtype != np.uint8:
                raise ValueError(f'An image array must be H x W x 3 RGB uint8, got shape '
                                 f'{item.shape} and dtype {item.dtype}.')
            out.append(item)
        elif isinstance(item, (str, os.PathLike)):
            path = os.fspath(item)
            if osp.isdir(path):
                files = sorted(osp.join(path, f) for f in os.listdir(path)
                               if f.lower().endswith(IMAGE_EXTENSIONS))
                if not files:
                    raise FileNotFoundError(f'Folder {path!r} holds no image file '
                                            f'({", ".join(IMAGE_EXTENSIONS)}).')
                out.extend(files)
            elif osp.isfile(path):
                out.append(path)
            else:
                raise FileNotFoundError(f'Image {path!r} does not exist.')
        else:
            raise TypeError(f'An input must be an image path, a folder or an RGB array, got '
                            f'{type(item).__name__}.')
    return out


def input_name(item: InputType, index: int) -> str:
    """The output file stem of an input: its file name, or ``array_<index>``."""
    if isinstance(item, str):
        return osp.splitext(osp.basename(item))[0]
    return f'array_{index:05d}'


def output_names(items: Sequence[InputType]) -> List[str]:
    """One output file stem per input, unique across the call: the file name without its
    extension (``array_<index>`` for an array); inputs whose stems coincide (``x.jpg`` and
    ``x.png``) keep their extension (``x.jpg``, ``x.png``), and any still alike (the same name in
    two folders) add their index (``x.jpg_00003``), so no output overwrites another."""
    names = [input_name(item, i) for i, item in enumerate(items)]
    counts = Counter(names)
    names = [osp.basename(item) if counts[n] > 1 and isinstance(item, str) else n
             for n, item in zip(names, items)]
    counts = Counter(names)
    return [f'{n}_{i:05d}' if counts[n] > 1 else n for i, n in enumerate(names)]


def read_rgb(item: InputType) -> np.ndarray:
    """The RGB ``uint8`` pixels of an input (as given, for an array)."""
    if isinstance(item, np.ndarray):
        return item
    with Image.open(item) as im:
        return np.asarray(im.convert('RGB'))


def write_csv(path: str, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    """``rows`` under ``header`` as a CSV file (written atomically; floats as ``repr``, so they
    read back exactly)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    write_text_atomic(buf.getvalue(), path)


class MMOpenInferencer(BaseInferencer):
    """mmengine's ``BaseInferencer`` with the loading rules of this module.

    Args:
        model: a config path, a config name under ``configs/``, or a ``Config``.
        weights: a checkpoint file, ``last:`` / ``best:`` / ``best_<KEY>:WORK_DIR``, or
            ``'none'`` / ``None`` (zero-shot: every weight comes from the model's own files).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``... (default: CUDA when available).
        cfg_options: config overrides, ``{'model.decode_head.num_queries': 50}``.
        show_progress: a bar over the batches (default: when stderr is a terminal and
            ``MMOPEN_NO_PROGRESS`` is not set).
    """
    default_scope = 'mmengine'  # the host library of the model: 'mmseg' or 'mmpretrain'

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: Optional[bool] = None) -> None:
        cfg = load_config(model, cfg_options)
        init_default_scope(self.default_scope)
        self.weights = checkpoint_file(weights)
        # the weights are read in _load_weights_to_model (MMEngine's reader cannot open a
        # Runner's checkpoint under weights_only=True)
        super().__init__(model=cfg, weights=None, device=device,
                         scope=self.default_scope,
                         show_progress=progress_wanted() if show_progress is None
                         else show_progress)

    # ------------------------------------------------------------------ loading
    def _load_weights_to_model(self, model, checkpoint: Optional[dict], cfg) -> None:
        if checkpoint is None and self.weights is not None:
            checkpoint = load_checkpoint_file(self.weights, map_location='cpu')
        if checkpoint is not None:
            _load_checkpoint_to_model(model, checkpoint)
        else:
            print_log(f'{type(model).__name__}: no checkpoint; the weights are the model\'s '
                      'own files (zero-shot) and its initialisation.', logger='current')

    def _init_visualizer(self, cfg):
        return None  # the inferencers draw their own pictures (with a legend)

    def _loading_transform(self, pipeline_cfg: list):
        for i, t in enumerate(pipeline_cfg):
            if t.get('type') == 'LoadImageFromFile':
                with TRANSFORMS.switch_scope_and_registry(self.default_scope) as registry:
                    return i, registry.build(t)
        return None, None

    def _init_pipeline(self, cfg: ConfigType) -> Callable:
        """The config's test pipeline without annotation loading; image loading as the config
        does it for paths (the same decoder), and straight from the pixels for arrays."""
        dataset = cfg.test_dataloader.dataset
        pipeline_cfg = [dict(t) for t in dataset.get('pipeline', [])]
        if not pipeline_cfg:
            raise ValueError('The config\'s test_dataloader.dataset has no pipeline: the '
                             'inferencer runs the test pipeline on each image.')
        pipeline_cfg = [t for t in pipeline_cfg
                        if not str(t.get('type', '')).startswith('LoadAnnotations')
                        and t.get('type') != 'LoadDepthAnnotation']
        index, loader = self._loading_transform(pipeline_cfg)
        if loader is None:
            raise ValueError('The config\'s test pipeline has no LoadImageFromFile: the '
                             'inferencer needs to know where images enter it.')
        with TRANSFORMS.switch_scope_and_registry(self.default_scope) as registry:
            rest = Compose([registry.build(t) for t in pipeline_cfg[index + 1:]])

        def load(item):
            if isinstance(item, np.ndarray):
                bgr = np.ascontiguousarray(item[..., ::-1])
                return dict(img=bgr, img_shape=bgr.shape[:2], ori_shape=bgr.shape[:2],
                            img_path=None)
            if osp.isfile(item) and osp.getsize(item) == 0:
                raise ValueError(f'Image {item!r} is an empty file (0 bytes).')
            try:
                results = loader(dict(img_path=item))
            except Exception as e:  # a decoder's error, which names no file
                raise ValueError(f'Could not read image {item!r}: {type(e).__name__}: '
                                 f'{str(e).strip()[:200]}') from None
            if results is None:
                raise ValueError(f'Could not read image {item!r}.')
            return results

        return Compose([load, rest])

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """The call's inputs, expanded once (``BaseInferencer.__call__`` asks for them) and kept
        for :meth:`postprocess`, which mmengine does not hand them to."""
        self._call_inputs = expand_inputs(inputs)
        self._call_names = output_names(self._call_inputs)
        return self._call_inputs

    def _init_collate(self, cfg) -> Callable:
        return pseudo_collate


class RowsInferencer(MMOpenInferencer):
    """An inferencer whose prediction of an image is a row (a dict): :meth:`rows` makes them
    from the data samples, :meth:`write` writes them to ``out_dir``. A single image gives its
    row, several a list; ``return_datasamples`` gives the model's data samples instead."""
    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = set()
    postprocess_kwargs: set = {'out_dir'}

    def __call__(self, inputs: InputsType, batch_size: int = 1, out_dir: str = '',
                 return_datasamples: bool = False) -> dict:
        return super().__call__(inputs, return_datasamples=return_datasamples,
                                batch_size=batch_size, out_dir=out_dir)

    def visualize(self, inputs, preds, **kwargs):
        return None

    def rows(self, inputs: list, preds: list) -> List[dict]:
        raise NotImplementedError

    def write(self, rows: List[dict], out_dir: str) -> None:
        raise NotImplementedError

    def postprocess(self, preds: list, visualization, return_datasamples: bool = False,
                    out_dir: str = '') -> dict:
        if return_datasamples:
            return dict(predictions=preds if len(preds) > 1 else preds[0], visualization=[])
        rows = self.rows(self._call_inputs, preds)
        if out_dir:
            self.write(rows, out_dir)
        return dict(predictions=rows[0] if len(rows) == 1 else rows, visualization=[])

