"""A config's yapf formatting done once per config text, not once per read.

MMEngine's ``Config.pretty_text`` formats the whole config with yapf each time it is read, and
one run reads it three or four times with the same config: the runner's log, the config dumped
into the work dir, the visualizer's copy (and again for each evaluation of the same config in
one process, as the quickstart tour and the tests run them). Formatting takes 0.1-1 s on 2
cores (a config with a 459-class vocabulary is at the top of that range): a large share of a
short run's set-up.

:func:`memoize_config_formatting` replaces the formatter MMEngine's config module calls with one
that keeps the last :data:`CACHE_SIZE` results by the unformatted text and the style: each
distinct config is formatted once per process, and the text is yapf's, character for character.
"""
import functools
import json

from mmengine.config import config as config_module

CACHE_SIZE = 32


def _memoized(format_code):

    @functools.lru_cache(maxsize=CACHE_SIZE)
    def cached(source: str, options: str):
        kwargs = json.loads(options)
        return format_code(source, **kwargs)

    @functools.wraps(format_code)
    def format_once(unformatted_source, **kwargs):
        try:
            options = json.dumps(kwargs, sort_keys=True)
        except TypeError:  # an option JSON cannot key (none of MMEngine's): not memoized
            return format_code(unformatted_source, **kwargs)
        return cached(unformatted_source, options)

    format_once.cache_info = cached.cache_info
    return format_once


def memoize_config_formatting() -> None:
    """Make MMEngine's ``Config.pretty_text`` format each distinct config once per process
    (idempotent)."""
    current = config_module.FormatCode
    if hasattr(current, 'cache_info'):
        return
    config_module.FormatCode = _memoized(current)
