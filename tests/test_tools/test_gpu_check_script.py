"""tools/misc/gpu_check.sh's own logic, with a stand-in interpreter that records its calls:
each step's row is written when it ends, a rerun keeps finished rows (an earlier run's rows
were reported as this run's when check_configs got no --force), --force redoes them and passes
--force on, and a step past its limit is reported as timed out while the rest still run."""
import os
import stat
import subprocess


def _fake_python(tmp_path, slow_step=''):
    calls = tmp_path / 'calls.txt'
    fake = tmp_path / 'python'
    fake.write_text(f'''#!/usr/bin/env bash
echo "$*" >> {calls}
case "$*" in
  *device_count*) echo 0 ;;
  *{slow_step or '@never@'}*) sleep 30 ;;
  -) cat > /dev/null ;;
  *) echo "done: $*" ;;
esac
''')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return str(fake), calls


def _run(out, python, *flags):
    env = dict(os.environ, PYTHON=python)
    return subprocess.run(['bash', 'tools/misc/gpu_check.sh', *flags, str(out)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_rows_are_kept_on_a_rerun_and_redone_with_force(tmp_path):
    python, calls = _fake_python(tmp_path)
    out = tmp_path / 'out'
    first = _run(out, python)
    assert first.returncode == 0, first.stderr
    rows = sorted(os.listdir(out / 'rows'))
    assert rows == ['10-tests.md', '20-ovsnet.md', '30-stock.md', '40-synood.md']
    table = (out / 'gpu_check.md').read_text()
    assert '| CUDA tests | rc 0' in table and '| SynOOD generation, one image | rc 0' in table
    n = len(calls.read_text().splitlines())
    again = _run(out, python)
    assert again.stdout.count('done before (kept; --force redoes it)') == 4
    assert len(calls.read_text().splitlines()) == n + 1  # only the device query
    forced = _run(out, python, '--force')
    assert 'done before' not in forced.stdout
    check_calls = [c for c in calls.read_text().splitlines()[n + 1:] if 'check_configs' in c]
    assert len(check_calls) == 3 and all('--force' in c for c in check_calls)


def test_a_step_past_its_limit_is_reported_and_the_others_still_run(tmp_path):
    python, _ = _fake_python(tmp_path, slow_step='--stock-head')
    text = open('tools/misc/gpu_check.sh').read().replace('" 140 $CHECK $SIZE $AMP --stock',
                                                          '" 2 $CHECK $SIZE $AMP --stock')
    assert text != open('tools/misc/gpu_check.sh').read()
    os.makedirs(tmp_path / 'tools' / 'misc')
    (tmp_path / 'tools' / 'misc' / 'gpu_check.sh').write_text(text)
    out = tmp_path / 'out'
    res = subprocess.run(['bash', str(tmp_path / 'tools' / 'misc' / 'gpu_check.sh'), str(out)],
                         env=dict(os.environ, PYTHON=python), capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    table = (out / 'gpu_check.md').read_text()
    assert '| stock Mask2FormerHead, CPU, reduced, 3 iters | timed out after 2 s' in table
    assert '| SynOOD generation, one image | rc 0' in table, res.stdout
