"""Running the project's command-line tools from tests."""
import importlib.util
import os
import socket
import subprocess
import sys
from typing import Optional, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A free TCP port on loopback (for torchrun's rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_tool(args: Sequence[str], env: Optional[dict] = None,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``args`` (a ``python`` script is run with this interpreter) in the repository root
    and fail with the tails of its output unless it exits 0."""
    args = list(args)
    if args[0].endswith('.py'):
        args = [sys.executable] + args
    if env is None:
        env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-20000:]
    return out


def load_tool(path: str):
    """A tool script (``tools/...py``, relative to the repository) as a module."""
    name = 'tool_' + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
