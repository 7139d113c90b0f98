"""The SynOOD release's caption file, converted to the ``captions`` context provider's format.

The release (``Jarvisgivemeasuit/SynOOD``, ``texts/matched_info.jsonl``) stores one JSON object
per line with a single key, the image path relative to the ImageNet root, whose value is the
MLLM's description of the image without its main object::

    {"train/n01440764/n01440764_10026.JPEG": "a river bank with green plants"}

and builds each prompt from the first 73 characters of it (``"A photo only remain {}."``,
``datasets.py``). :class:`mmopen.ood.synood.CaptionContext` reads
``{"image": "<path>", "caption": "<text>"}`` lines; :func:`convert_release_captions` writes
them, cut to ``max_chars`` as the release cuts them (``0``: whole).
"""
import json
from typing import Iterable, List

RELEASE_MAX_CHARS = 73


def convert_release_captions(lines: Iterable[str], source: str = 'the caption file',
                             max_chars: int = RELEASE_MAX_CHARS) -> List[dict]:
    """``{"image", "caption"}`` records of the release's lines, in order of first appearance;
    blank lines skipped. A path given twice keeps its last caption, as the release's merged
    dictionary does. A line that is not one ``{"<path>": "<caption>"}`` object is an error
    naming its line. Each caption is cut as the release cuts it (``caption[:max_chars]``),
    then stripped."""
    if max_chars < 0:
        raise ValueError(f'max_chars={max_chars} must be >= 0 (0 keeps whole captions).')
    out = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f'{source}:{n}: not JSON ({e.msg}).') from None
        if not (isinstance(obj, dict) and len(obj) == 1):
            raise ValueError(f'{source}:{n}: expected one {{"<image path>": "<caption>"}} '
                             f'object per line (the release\'s matched_info.jsonl), got '
                             f'{str(obj)[:80]!r}.')
        (path, caption), = obj.items()
        if not isinstance(caption, str):
            raise ValueError(f'{source}:{n}: the caption of {path!r} is not a string.')
        out[path] = (caption[:max_chars] if max_chars else caption).strip()
    if not out:
        raise ValueError(f'{source} holds no caption.')
    return [dict(image=p, caption=c) for p, c in out.items()]
