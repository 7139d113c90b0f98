"""Running the project's command-line tools from tests.

A Python tool runs in the test process by default, through its ``main(argv)``, as its
command line would (argv, working directory, environment, standard output and error captured,
exit status), without paying a fresh interpreter's ``import mmopen`` (10-15 s on 2 cores) on
every call. What a run leaves in the process is undone afterwards: the environment and working
directory, import path, thread count and multiprocessing start method, and mmengine's named
global instances it created (loggers with their open files, message hubs, visualizers, default
scopes), so that the next run, like a fresh process, starts from none of them.
``fresh=True`` (and every command that is not a Python tool: ``bash`` launchers, ``torchrun``)
runs a new process: for what only a process can show (several ranks, a kill, an import in a
clean interpreter).
"""
import contextlib
import importlib.util
import io
import logging
import os
import socket
import subprocess
import sys
import traceback
from typing import Optional, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A free TCP port on loopback (for torchrun's rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def one_thread():
    """One compute thread, as the tools ran with (OMP_NUM_THREADS=1): the same kernels' sums."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_tool(path: str):
    """A tool script (``tools/...py``, relative to the repository) as a module."""
    name = 'tool_' + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _manager_classes():
    """mmengine's ``ManagerMixin`` classes (each keeps its own named instances)."""
    from mmengine.utils import ManagerMixin
    out, todo = [], [ManagerMixin]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return out


@contextlib.contextmanager
def _as_a_process(env: Optional[dict]):
    """Run the body as a fresh process of ``env`` would see it, and undo what it leaves."""
    import multiprocessing

    import torch
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    saved_start = multiprocessing.get_start_method(allow_none=True)  # a Runner sets its own
    saved_path, saved_threads = list(sys.path), torch.get_num_threads()
    managers = {cls: dict(cls._instance_dict) for cls in _manager_classes()}
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
        # what a new interpreter would take from them: its import path and thread count
        extra = [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
        sys.path[:0] = [p for p in extra if p not in sys.path]
        if env.get('OMP_NUM_THREADS'):
            torch.set_num_threads(int(env['OMP_NUM_THREADS']))
    os.chdir(REPO)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path
        torch.set_num_threads(saved_threads)
        multiprocessing.set_start_method(saved_start, force=True)
        for cls in _manager_classes():
            before = managers.get(cls, {})
            for name in [n for n in cls._instance_dict if n not in before]:
                inst = cls._instance_dict.pop(name)
                if isinstance(inst, logging.Logger):
                    for handler in list(inst.handlers):
                        handler.close()
                        inst.removeHandler(handler)


def _run_in_process(args: Sequence[str], env: Optional[dict]) -> subprocess.CompletedProcess:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with _as_a_process(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        sys.argv = list(args)
        try:
            code = load_tool(args[0]).main(list(args[1:]))
        except SystemExit as e:
            code = e.code
        except Exception:  # a crash is the tool's exit status 1, with its traceback
            traceback.print_exc()
            code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit('message'): printed, status 1
        err.write(f'{code}\n')
        code = 1
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_tool(args: Sequence[str], env: Optional[dict] = None, timeout: int = 600,
             fresh: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``args`` in the repository root and (``check``) fail with the tails of its output
    unless it exits 0. A Python tool (``tools/x.py ...``) runs in this process unless
    ``fresh``; anything else (and a fresh tool run, with this interpreter) in a new process
    within ``timeout``."""
    args = list(args)
    if args[0].endswith('.py') and not fresh:
        out = _run_in_process(args, env)
    else:
        if args[0].endswith('.py'):
            args = [sys.executable] + args
        if env is None:
            env = dict(os.environ, PYTHONPATH=REPO)
        out = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=timeout)
    if check:
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-20000:]
    return out
