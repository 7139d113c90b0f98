"""Checks of a data set's image and annotation files before a run reads them: a file of 0 bytes,
one that is not an image (an HTML error page saved as ``.jpg`` by a failed download), an image
too small to hold anything (a 1 x 1 placeholder), an annotation whose size is not its image's, or
a colour annotation where mmseg reads class indices from one channel. Each would otherwise stop
the run at the sample that holds it, hours in and with a decoder's message that names no file
(``cv2.error: !buf.empty()``, a convolution's size error), or, for the annotations, give wrong
metrics. Only file sizes and image headers are read (``PIL.Image.open`` decodes no pixels)."""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, List, Optional, Tuple

MIN_SIDE = 8


def image_header(path: str) -> Tuple[Optional[Tuple[int, int]], str, str]:
    """``((width, height), mode, problem)`` of the image at ``path`` from its header; the problem
    is ``''`` for a readable image, else what is wrong (the size is then ``None``)."""
    from PIL import Image, UnidentifiedImageError
    try:
        nbytes = os.path.getsize(path)
    except OSError:
        return None, '', 'does not exist'
    if nbytes == 0:
        return None, '', 'is an empty file (0 bytes)'
    try:
        with Image.open(path) as im:
            return im.size, im.mode, ''
    except UnidentifiedImageError:
        with open(path, 'rb') as f:
            head = f.read(64).lstrip().lower()
        kind = ' (it starts like a web page: a failed download?)' if head.startswith(
            (b'<!doctype', b'<html', b'<?xml', b'{')) else ''
        return None, '', f'is not an image a decoder can read{kind}'
    except OSError as e:
        return None, '', f'could not be read: {e}'


def sample_problems(img_path: str, seg_map_path: Optional[str] = None,
                    min_side: int = MIN_SIDE) -> List[str]:
    """What is wrong with one sample's files, each naming its path (empty when nothing is)."""
    problems = []
    size, _, problem = image_header(img_path)
    if problem:
        problems.append(f'image {img_path} {problem}')
    elif min(size) < min_side:
        problems.append(f'image {img_path} is {size[0]} x {size[1]} pixels, smaller than '
                        f'{min_side} x {min_side}: a placeholder rather than a picture?')
    if seg_map_path is None:
        return problems
    ann_size, mode, problem = image_header(seg_map_path)
    if problem:
        problems.append(f'annotation {seg_map_path} {problem}')
        return problems
    if mode not in ('L', 'P', 'I', 'I;16', 'I;16B', 'I;16L', '1'):
        problems.append(f'annotation {seg_map_path} is a {mode} image: mmseg reads one class '
                        'index per pixel from a one-channel (L or P) PNG; convert the colours '
                        'to indices')
    if size is not None and ann_size != size:
        problems.append(f'annotation {seg_map_path} is {ann_size[0]} x {ann_size[1]} but its '
                        f'image {img_path} is {size[0]} x {size[1]}')
    return problems


def check_image_files(samples: Iterable[Tuple[str, Optional[str]]], what: str = 'the data set',
                      min_side: int = MIN_SIDE, threads: int = 16, show: int = 10) -> int:
    """Check every ``(img_path, seg_map_path or None)`` of ``samples``; raise ``ValueError``
    listing the first ``show`` problems and their count if any file is wrong, else return the
    number of samples checked. Headers are read by ``threads`` threads (the work is I/O)."""
    samples = list(samples)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        found = [p for ps in pool.map(lambda s: sample_problems(s[0], s[1], min_side), samples)
                 for p in ps]
    if found:
        more = f'\n  ... and {len(found) - show} more' if len(found) > show else ''
        raise ValueError(
            f'{len(found)} problem(s) in the files of {what} ({len(samples)} samples), found '
            'before the run read any:\n  ' + '\n  '.join(found[:show]) + more +
            '\nRemove these samples from the list or folder, or replace the files.')
    return len(samples)


def loads_annotations(dataset) -> bool:
    """Whether ``dataset``'s pipeline (or that of a data set it wraps) reads annotation files."""
    for d in [dataset] + list(getattr(dataset, 'datasets', []) or []) + [
            getattr(dataset, 'dataset', None)]:
        transforms = getattr(getattr(d, 'pipeline', None), 'transforms', None) or []
        if any(type(t).__name__.startswith('LoadAnnotations') for t in transforms):
            return True
    return False


def dataset_samples(dataset) -> List[Tuple[str, Optional[str]]]:
    """``(img_path, seg_map_path or None)`` of every sample of an MMEngine data set (one that
    wraps others, such as ``ConcatDataset``, answers ``get_data_info`` for all of them); the
    annotation only when the pipeline reads it; samples with no ``img_path`` (in-memory
    arrays) are left out."""
    annotations = loads_annotations(dataset)
    out = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        path = info.get('img_path') if isinstance(info, dict) else None
        if isinstance(path, str):
            seg = info.get('seg_map_path')
            out.append((path, seg if annotations and isinstance(seg, str) else None))
    return out
