"""A forked child's output sent to a log file.

A process forked to run a job (``tools/misc/check_configs.py``'s config checks, the test
suite's forked tools) inherits its parent's output: file descriptors 1 and 2, Python's
``sys.stdout`` / ``sys.stderr``, which the parent may have replaced (pytest's capture,
``contextlib.redirect_stdout``), and the logging handlers made before the fork, which write to
whatever those were then. :func:`output_to_log` points all three at one file.
"""
import logging
import os
import sys


def output_to_log(path: str) -> None:
    """Send this process's output (descriptors 1 and 2, ``sys.stdout`` / ``sys.stderr``, plain
    logging stream handlers) to ``path``, truncated; UTF-8, unencodable characters escaped."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    out = open(1, 'w', buffering=1, encoding='utf-8', errors='backslashreplace', closefd=False)
    sys.stdout = sys.stderr = out
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # not a file handler
                handler.stream = out  # (setStream would flush the old one, maybe closed)
