"""A forked child's output into a log file (mmopen/utils/child_output.py)."""
import contextlib
import io
import logging
import os

from mmopen.utils.child_output import output_to_log


def test_descriptors_python_streams_and_earlier_handlers_reach_the_log(tmp_path):
    log = tmp_path / 'child.log'
    log.write_text('left from a run before\n')
    logger = logging.getLogger('mmopen.test_child_output')
    logger.propagate = False
    logger.setLevel(logging.INFO)
    replaced = io.StringIO()  # what sys.stdout was when the handler was made (pytest's capture)
    handler = logging.StreamHandler(replaced)
    logger.addHandler(handler)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the parent had replaced sys.stdout
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    output_to_log(str(log))
                    print('from print')
                    os.write(1, b'from fd 1\n')
                    os.write(2, b'from fd 2\n')
                    logger.info('from a handler made before the fork')
                    print('unencodable \udcff kept')
                    code = 0
                finally:
                    os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        logger.removeHandler(handler)
    assert os.waitstatus_to_exitcode(status) == 0
    text = log.read_text()
    assert 'left from a run before' not in text  # truncated
    for line in ('from print', 'from fd 1', 'from fd 2', 'from a handler made before the fork',
                 'unencodable \\udcff kept'):
        assert line in text, (line, text)
