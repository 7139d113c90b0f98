"""Run the repository's command-line tools (``tools/**.py``) inside a Python process: load a
tool script as a module and call its ``main(argv)``. The quickstart's set-up and tour run each
world's or seed's steps this way, in one process, so that ``import mmopen`` and the stack it
pulls in (10-15 s on 2 cores) is paid once per process instead of once per step."""
import importlib.util
import os.path as osp
import sys
import traceback
from types import ModuleType
from typing import Dict, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_LOADED: Dict[str, ModuleType] = {}


def load_tool(path: str, fresh: bool = False) -> ModuleType:
    """The tool script at ``path`` (relative to the repository, e.g. ``'tools/test.py'``) as
    a module, loaded once per process; ``fresh=True`` executes it again into a new module
    (what a test that changes a tool's globals wants)."""
    full = path if osp.isabs(path) else osp.join(REPO, path)
    if fresh or full not in _LOADED:
        if not osp.isfile(full):
            raise FileNotFoundError(f'No tool script at {full}.')
        spec = importlib.util.spec_from_file_location(
            'mmopen_tool_' + osp.splitext(osp.basename(full))[0], full)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if fresh:
            return module
        _LOADED[full] = module
    return _LOADED[full]


def call_main(path: str, argv: Sequence[str]) -> int:
    """``main(argv)`` of the tool at ``path`` as an exit status: 0 for success, the
    ``SystemExit`` code, or 1 for an exception (its traceback printed to stderr)."""
    try:
        code = load_tool(path).main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
    except Exception:  # noqa: BLE001  (reported as the step's failure, traceback included)
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return 0 if code is None else int(code)
