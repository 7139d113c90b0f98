"""Running the project's command-line tools from tests.

A Python tool runs in the test process by default, through its ``main(argv)``, as its
command line would (argv, working directory, environment, standard output and error captured,
exit status), without paying a fresh interpreter's ``import mmopen`` (10-15 s on 2 cores) on
every call. What a run leaves in the process is undone afterwards: the environment and working
directory, import path, thread count and multiprocessing start method, and mmengine's named
global instances it created (loggers with their open files, message hubs, visualizers, default
scopes), so that the next run, like a fresh process, starts from none of them.
``fresh=True`` (and every command that is not a Python tool: ``bash`` launchers, ``torchrun``)
runs a new process: for what only a process can show (an import in a clean interpreter, the
launcher scripts themselves).

What needs a process of its own but not a new interpreter runs in processes forked from the
test process, which has imported mmopen already: :class:`ForkedTool` (a tool to kill midway)
and :func:`run_ranks` (a tool on several ranks, as ``torchrun`` starts them on one node).
"""
import contextlib
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
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
    """A tool script (``tools/...py``, relative to the repository) as a new module."""
    from mmopen.utils.tool_main import load_tool as load
    return load(os.path.join(REPO, path), fresh=True)


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


def _call_main(args: Sequence[str]) -> int:
    """``args[0]``'s ``main(args[1:])`` as its command line runs it: the exit status. As for a
    script, its folder comes first on the import path (callers restore the path)."""
    sys.argv = list(args)
    sys.path[:0] = [os.path.dirname(os.path.join(REPO, args[0]))]
    try:
        code = load_tool(args[0]).main(list(args[1:]))
    except SystemExit as e:
        code = e.code
    except Exception:  # a crash is the tool's exit status 1, with its traceback
        traceback.print_exc()
        code = 1
    if code is None:
        return 0
    if not isinstance(code, int):  # SystemExit('message'): printed, status 1
        sys.stderr.write(f'{code}\n')
        return 1
    return code


def _run_in_process(args: Sequence[str], env: Optional[dict]) -> subprocess.CompletedProcess:
    out, err = io.StringIO(), io.StringIO()
    with _as_a_process(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _call_main(args)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def cuda_in_use() -> bool:
    """Whether a child forked from this process could fail to use CUDA: wherever a GPU is
    present (``import mmopen`` queries CUDA), not only once CUDA is initialised."""
    from mmopen.utils.launch import fork_is_safe
    return not fork_is_safe()


class ForkedTool:
    """The Python tool ``args`` in a process forked from this one, as a new process of ``env``
    (default: this environment) would run it (environment, working directory, import path,
    thread count, signal handlers), with its standard output and error in the file ``log``;
    Popen's ``pid``, ``poll``, ``wait``, ``send_signal``, ``kill`` and ``returncode`` (minus the
    signal that ended it). Where this process has initialised CUDA, which a forked child could
    not use, the tool runs in a new interpreter instead (``subprocess.Popen``)."""

    def __init__(self, args: Sequence[str], env: Optional[dict] = None, log: str = os.devnull):
        self.args, self.returncode, self._popen = list(args), None, None
        env = dict(os.environ if env is None else env)
        if log != os.devnull:
            open(log, 'w').close()  # there from the start, even for a child killed at once
        if cuda_in_use():
            env.setdefault('PYTHONPATH', REPO)
            with open(log, 'w') as out:
                self._popen = subprocess.Popen([sys.executable] + self.args, cwd=REPO, env=env,
                                               stdout=out, stderr=subprocess.STDOUT)
            self.pid = self._popen.pid
            return
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the test process's code
            code = 1
            try:
                code = self._child(env, log)
            except BaseException:  # whatever failed before or around the tool: in its log
                traceback.print_exc()
            finally:
                os._exit(code)

    def _child(self, env: dict, log: str) -> int:
        from mmopen.utils.child_output import output_to_log
        output_to_log(log)  # not pytest's capture, nor the in-process runs' buffers
        # the signal handlers a new process has (not the test runner's time limit)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        with _as_a_process(env):
            code = _call_main(self.args)
        sys.stdout.flush()
        return code

    def _reap(self, flags: int) -> Optional[int]:
        if self.returncode is None:
            if self._popen is not None:
                self.returncode = self._popen.poll()
            else:
                pid, status = os.waitpid(self.pid, flags)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> Optional[int]:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: Optional[float] = None) -> int:
        deadline = None if timeout is None else time.time() + timeout
        while self.poll() is None:
            if deadline is not None and time.time() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _tail(text: str, limit: int = 8000) -> str:
    return text if len(text) <= limit else '...' + text[-limit:]


def run_ranks(args: Sequence[str], nproc: int = 2, env: Optional[dict] = None,
              timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
    """The Python tool ``args`` with ``--launcher pytorch`` on ``nproc`` ranks, each a process
    forked from this one (:class:`ForkedTool`) with the variables ``torchrun`` gives its workers
    on one node (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``,
    ``MASTER_PORT`` on a free loopback port; ``OMP_NUM_THREADS=1`` unless ``env`` sets it, as
    torchrun does). As torchrun, a failed rank ends the others. The ranks' outputs, rank 0's
    first, are the result's ``stdout``; its status a failed rank's (124: ``timeout``). Where
    this process has initialised CUDA, the ranks are started by ``torchrun`` itself.
    ``tools/dist_*.sh`` are tested with ``torchrun`` (``run_tool(['bash', ...])``)."""
    base = dict(os.environ if env is None else env)
    base.setdefault('OMP_NUM_THREADS', '1')
    port = str(free_port())
    argv = list(args) + ['--launcher', 'pytorch']
    if cuda_in_use():  # a GPU host: the ranks are new interpreters, on the CPU (gloo) as here:
        # these tests compare with single-process CPU runs, and rank 1 of a 1-GPU host would
        # call set_device(1)
        base.setdefault('PYTHONPATH', REPO)
        base.setdefault('CUDA_VISIBLE_DEVICES', '')
        return run_tool([sys.executable, '-m', 'torch.distributed.run', '--nnodes=1',
                         f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
                         f'--master_port={port}'] + argv, base, timeout, check=check)
    base.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=port, WORLD_SIZE=str(nproc),
                LOCAL_WORLD_SIZE=str(nproc), GROUP_RANK='0')
    with tempfile.TemporaryDirectory(prefix='ranks-') as tmp:
        logs = [os.path.join(tmp, f'rank{r}.log') for r in range(nproc)]
        ranks = [ForkedTool(argv, dict(base, RANK=str(r), LOCAL_RANK=str(r)), logs[r])
                 for r in range(nproc)]
        deadline, code = time.time() + timeout, 0
        try:
            while None in [r.poll() for r in ranks]:  # every rank polled, each time
                failed = [r.returncode for r in ranks if r.returncode]
                if failed or time.time() > deadline:
                    code = failed[0] if failed else 124
                    time.sleep(1 if failed else 0)  # the failed rank's peers may still print
                    break
                time.sleep(0.05)
        finally:  # the ranks left (after a failure, a timeout, or this test's own end)
            for r in ranks:
                r.kill()
                r.wait()
        code = code or next((r.returncode for r in ranks if r.returncode), 0)
        outs = []
        for path in logs:
            with open(path, errors='replace') as f:
                outs.append(f.read())
    out = ''.join(f'--- rank {r} ---\n{text}' for r, text in enumerate(outs))
    if check:
        assert code == 0, '\n'.join(f'--- rank {r} (status {ranks[r].returncode}) ---\n'
                                     f'{_tail(text)}' for r, text in enumerate(outs))
    return subprocess.CompletedProcess(argv, code, out, '')


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
