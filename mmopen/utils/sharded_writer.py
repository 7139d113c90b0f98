"""Writing a generated image data set: sharded across processes, resumable, atomic, with a
manifest. SynOOD's data sets (``tools/synood/generate.py``, records:
:func:`mmopen.ood.synood.manifest.synood_record`) and SeeCLIP's pseudo-unknowns
(``tools/seeclip/generate_pseudo_unknowns.py``, :mod:`mmopen.osdg.seeclip.writer`) are written
by this loop, each with its own generator and record fields.

Layout of ``OUT``::

    OUT/run.json                 the settings of the run (a resumed run must match them)
    OUT/images/0000042.jpg       the synthetic image made from seed 42 of the seed list
    OUT/meta/0000042.json        its record (written after the image: it marks it finished)
    OUT/logs/rank0.log           what each process did
    OUT/manifest.json            header + every record, in seed order (written last)

The seeds are cut into blocks of ``batch_size`` consecutive seeds (the generator's batch: one
image at a time by default) and process ``r`` of ``W`` takes blocks ``r, r + W, r + 2W, ...``.
Every image's noise comes from its own seed (:func:`sample_seed` of the run seed and the source
path) and every block is generated with the same companions whatever ``W``, so the set does not
depend on ``W``. An image and its record are each written to a temporary name and renamed; a run
killed at any point leaves finished items whole, and the next run skips them (an item counts as
finished when its record exists): a block with unfinished items is generated again whole, so its
images have the same batch companions as in an uninterrupted run, and only the unfinished ones
are written. Other batch sizes give the same images up to floating-point rounding (the
generators treat each image of a batch alone), not byte for byte: the batch size is part of the
run's settings.
"""
import glob
import hashlib
import json
import logging
import os
import os.path as osp
import shutil
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import numpy as np
from PIL import Image

from .io import atomic_path, write_json_atomic
from .progress import progress_bar

MANIFEST_VERSION = 1
FORMATS = {'jpg': 'JPEG', 'png': 'PNG'}


class Seed(NamedTuple):
    """A source image of the writer (SynOOD: an in-distribution seed image)."""
    path: str        # as given (relative to the data root, or absolute)
    label: int
    complexity: float  # SynOOD's JPEG bytes per pixel (mmopen.ood.synood.seeds); 0 when unused


def sample_seed(base: int, key: str) -> int:
    """A per-image seed from the run's seed and the image's path: the same image gets the same
    noise whichever process, shard or batch it falls in."""
    digest = hashlib.sha256(f'{int(base)}:{key}'.encode()).digest()
    return int.from_bytes(digest[:4], 'little') & 0x7FFFFFFF


def item_paths(out: str, index: int, fmt: str):
    name = f'{index:07d}'
    return (osp.join(out, 'images', f'{name}.{fmt}'), osp.join(out, 'meta', f'{name}.json'))


def shard_logger(out: str, rank: int, name: str = 'mmopen.generate') -> logging.Logger:
    """A logger writing to ``OUT/logs/rank<r>.log`` (and, for rank 0, to stdout)."""
    import sys
    os.makedirs(osp.join(out, 'logs'), exist_ok=True)
    logger = logging.getLogger(f'{name}.{rank}')
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    handler = logging.FileHandler(osp.join(out, 'logs', f'rank{rank}.log'))
    handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
    logger.addHandler(handler)
    if rank == 0:
        logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.propagate = False
    return logger


def check_run(out: str, header: dict) -> None:
    """Write ``OUT/run.json`` on the first run; refuse to resume with other settings once an
    item is written, and refuse a folder this writer did not start (files there but no
    ``run.json``: another run's or another program's output, which the run would mix with its
    own). A run that failed before its first item leaves only its ``run.json`` and logs: a rerun
    with corrected settings replaces them."""
    path = osp.join(out, 'run.json')
    if osp.isfile(path):
        with open(path) as f:
            found = json.load(f)
        if found == header:
            return
        diff = sorted(k for k in set(found) | set(header) if found.get(k) != header.get(k))
        if _has_items(out):
            raise ValueError(f'{out} holds a generation run with other settings ({diff} differ, '
                             f'see {path}): resume with the same settings, or choose a new output '
                             'folder.')
        # nothing was generated under the old settings: nothing to keep
    elif osp.isdir(out):
        others = sorted(f for f in os.listdir(out) if f != 'logs')
        if others:
            raise FileExistsError(
                f'{out} holds {", ".join(others[:4])}{", ..." if len(others) > 4 else ""} but no '
                'run.json: it is not a folder this generator started (another run\'s or another '
                'program\'s output, which this run would mix with its own). Choose a new output '
                'folder.')
    write_json_atomic(header, path)


def _has_items(out: str) -> bool:
    """Whether a generated image or record is already in ``OUT``."""
    return any(osp.isdir(osp.join(out, sub)) and os.listdir(osp.join(out, sub))
               for sub in ('images', 'meta'))


def _remove_stale(paths: Sequence[str]) -> None:
    for path in paths:
        folder, base = osp.split(path)
        for tmp in glob.glob(osp.join(glob.escape(folder), f'.{glob.escape(base)}.tmp-*')):
            if osp.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                os.remove(tmp)


def save_image(img: np.ndarray, path: str, fmt: str, quality: int = 95) -> None:
    with atomic_path(path, suffix='.' + fmt) as tmp:
        kw = dict(quality=quality) if fmt == 'jpg' else {}
        Image.fromarray(img).save(tmp, format=FORMATS[fmt], **kw)


def seed_blocks(num_seeds: int, batch_size: int, rank: int = 0, world: int = 1) -> List[range]:
    """The blocks (generator batches) of process ``rank`` of ``world``: blocks of ``batch_size``
    consecutive seed indices (the last one shorter), dealt out in turn."""
    if batch_size < 1:
        raise ValueError(f'batch_size={batch_size}: generate at least one image per batch.')
    blocks = [range(b, min(b + batch_size, num_seeds)) for b in range(0, num_seeds, batch_size)]
    return blocks[rank::world]


def batch_size(value) -> dict:
    """The run-header entry of a batch size: ``{}`` for one image per call (the header runs
    have always had), else ``{'batch_size': n}``; a size below 1 is refused."""
    n = int(value)
    if n < 1:
        raise SystemExit(f'--batch-size / batch_size = {value}: generate at least one image '
                         'per call.')
    return {} if n == 1 else dict(batch_size=n)


def generate_shard(make_generator: Callable[[], object], seeds: Sequence[Seed], data_root: str,
                   out: str, base_seed: int, rank: int = 0, world: int = 1, fmt: str = 'jpg',
                   quality: int = 95, logger: Optional[logging.Logger] = None,
                   progress: bool = True,
                   record_of: Optional[Callable[[object], dict]] = None,
                   desc: str = 'generate', batch_size: int = 1) -> Dict[str, int]:
    """Generate this process's share of ``seeds`` into ``out``, ``batch_size`` images per call
    of the generator (:func:`seed_blocks`); returns counts of generated and skipped (already
    finished) items. The generator is built only when there is work.

    ``generator.generate([rgb, ...], [path, ...], [label, ...], [noise seed, ...])`` must return
    one sample per input with an ``image`` (RGB ``uint8``); ``record_of(sample)`` gives the
    fields its record adds to the common ones (index, image, source, source label, complexity,
    seed; none without it): :func:`mmopen.ood.synood.manifest.synood_record` for SynOOD,
    :func:`mmopen.osdg.seeclip.writer.pseudo_unknown_record` for SeeCLIP."""
    if fmt not in FORMATS:
        raise ValueError(f'image format {fmt!r}: one of {sorted(FORMATS)}.')
    log = logger.info if logger else (lambda msg: None)
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    os.makedirs(osp.join(out, 'meta'), exist_ok=True)
    blocks = seed_blocks(len(seeds), batch_size, rank, world)
    mine = [i for block in blocks for i in block]
    todo = {i for i in mine if not osp.isfile(item_paths(out, i, fmt)[1])}
    log(f'rank {rank}/{world}: {len(mine)} seeds, {len(mine) - len(todo)} already finished, '
        f'{len(todo)} to generate')
    counts = dict(generated=0, skipped=len(mine) - len(todo))
    if not todo:
        return counts
    generator = make_generator()
    bar = progress_bar(len(todo), f'{desc} rank {rank}', 'img',
                       enabled=None if progress else False)
    start = time.time()
    for block in blocks:
        if not todo.intersection(block):
            continue
        rgbs = []
        for i in block:
            source = osp.join(data_root, seeds[i].path) if data_root else seeds[i].path
            with Image.open(source) as im:
                rgbs.append(np.asarray(im.convert('RGB')))
        noise_seeds = [sample_seed(base_seed, seeds[i].path) for i in block]
        samples = generator.generate(rgbs, [seeds[i].path for i in block],
                                     [seeds[i].label for i in block], noise_seeds)
        if len(samples) != len(block):
            raise RuntimeError(f'The generator returned {len(samples)} samples for a batch of '
                               f'{len(block)} images.')
        for i, noise_seed, sample in zip(block, noise_seeds, samples):
            if i not in todo:  # finished before: its files stay as they are
                continue
            seed = seeds[i]
            img_path, meta_path = item_paths(out, i, fmt)
            _remove_stale([img_path, meta_path])
            save_image(sample.image, img_path, fmt, quality)
            record = dict(index=i, image=osp.relpath(img_path, out), source=seed.path,
                          source_label=seed.label, complexity=seed.complexity, seed=noise_seed,
                          **(record_of(sample) if record_of else {}))
            write_json_atomic(record, meta_path)
            counts['generated'] += 1
            bar.update(1)
            extra = f' neg={record["neg_label"]!r}' if 'neg_label' in record else ''
            losses = record.get('losses') or [float('nan')]
            log(f'{i:07d} {seed.path} -> {record["image"]}{extra} '
                f'loss {losses[0]:.4f} -> {losses[-1]:.4f}')
    bar.close()
    log(f'rank {rank}: generated {counts["generated"]} in {time.time() - start:.1f} s')
    return counts


def write_manifest(out: str, num_seeds: int, header: dict, fmt: str) -> str:
    """Collect the records of all ``num_seeds`` items into ``OUT/manifest.json`` (atomically);
    refuses while any is missing."""
    records: List[dict] = []
    missing = []
    for i in range(num_seeds):
        img_path, meta_path = item_paths(out, i, fmt)
        if not (osp.isfile(meta_path) and osp.isfile(img_path)):
            missing.append(i)
            continue
        with open(meta_path) as f:
            records.append(json.load(f))
    if missing:
        raise RuntimeError(f'{out}: {len(missing)} of {num_seeds} items are not finished '
                           f'(first: {missing[:5]}); run the generation again to finish them.')
    path = osp.join(out, 'manifest.json')
    write_json_atomic(dict(header, version=MANIFEST_VERSION, records=records), path)
    return path


def init_ranks(launcher: str, device: Optional[str] = None, amp: bool = False):
    """``(rank, world, device)`` of this generation process. With ``launcher='pytorch'`` it
    joins torchrun's process group (NCCL on CUDA, else gloo; the ranks wait for each other only
    at the end, and generation can take hours: a two-day timeout); ``device='cuda'`` becomes
    ``cuda:LOCAL_RANK``, and a CUDA rank is bound to its GPU (``torch.cuda.set_device``) before
    the process group starts, so that NCCL's collectives run on each rank's own GPU instead of
    all on GPU 0. ``amp`` without CUDA exits with a message."""
    import datetime

    import torch
    rank, world, local_rank = 0, 1, 0
    if launcher == 'pytorch':
        rank, world = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
        local_rank = int(os.environ.get('LOCAL_RANK', 0))
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda':
        device = f'cuda:{local_rank}'
    if amp and not device.startswith('cuda'):
        raise SystemExit(f'--amp needs CUDA; this run is on {device!r}. Drop --amp to generate '
                         'in fp32 on CPU.')
    if device.startswith('cuda'):
        torch.cuda.set_device(torch.device(device))
    if launcher == 'pytorch':
        backend = 'nccl' if device.startswith('cuda') else 'gloo'
        torch.distributed.init_process_group(backend, timeout=datetime.timedelta(days=2))
    return rank, world, device


def run_shards(make_generator: Callable[[], object], seeds: Sequence[Seed], data_root: str,
               out: str, header: dict, rank: int, world: int, logger: logging.Logger,
               progress: bool = True, record_of: Optional[Callable[[object], dict]] = None,
               desc: str = 'generate') -> None:
    """The whole run of one process: check (or write) ``run.json``, generate this process's
    share (``header['batch_size']`` images per generator call, 1 when absent), wait for the
    others, and (rank 0) write the manifest; leaves the process group."""
    import torch
    distributed = world > 1 or (torch.distributed.is_available()
                                and torch.distributed.is_initialized())
    if rank == 0:
        check_run(out, header)
    if distributed:
        torch.distributed.barrier()
        if rank:
            check_run(out, header)
    fmt = header['image_format']
    counts = generate_shard(make_generator, seeds, data_root, out, header['seed'], rank, world,
                            fmt, logger=logger, progress=progress, record_of=record_of,
                            desc=desc, batch_size=int(header.get('batch_size', 1)))
    if distributed:
        torch.distributed.barrier()
    if rank == 0:
        path = write_manifest(out, len(seeds), header, fmt)
        logger.info(f'rank 0: generated {counts["generated"]}, kept {counts["skipped"]} '
                    f'finished; manifest {path}')
    if distributed:
        torch.distributed.destroy_process_group()
