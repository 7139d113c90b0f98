"""mmopen.utils.seed_runs: what the ablation tools over seeds share."""
import json
import math

import pytest

from mmopen.utils.seed_runs import (cfg_options, load_or_run, mean_std, run_over_seeds, run_tool,
                                    write_ablation)


def test_mean_std_is_the_sample_standard_deviation_with_each_value():
    # by hand: mean 7/3, squared deviations 16/9 + 1/9 + 25/9 = 42/9, over n - 1 = 2: 7/3
    assert math.isclose(math.sqrt(7 / 3), 1.5275, abs_tol=1e-4)
    assert mean_std([1, 2, 4]) == '2.3 ± 1.5 (1.0 / 2.0 / 4.0)'  # ddof=0 would print 1.2
    assert mean_std([1, 2, 4], decimals=2, per_seed=False) == '2.33 ± 1.53'
    assert mean_std([5.0]) == '5.0 ± 0.0 (5.0)'
    with pytest.raises(ValueError, match='at least one'):
        mean_std([])


def test_cfg_options_never_passes_an_empty_flag():
    assert cfg_options([]) == []
    assert cfg_options(('a=1', 'b=2')) == ['--cfg-options', 'a=1', 'b=2']


def test_run_over_seeds_runs_every_pair_and_keeps_the_rows_order(capsys):
    todo = [(row, s) for row in ('b', 'a') for s in (2, 0, 1)]
    results = run_over_seeds(todo, lambda row, seed: {'v': f'{row}{seed}'},
                             lambda row, seed, r: r['v'], jobs=2)
    assert list(results) == ['b', 'a']
    assert {row: sorted(r) for row, r in results.items()} == {'b': [0, 1, 2], 'a': [0, 1, 2]}
    assert all(results[row][s]['v'] == f'{row}{s}' for row, s in todo)
    out = capsys.readouterr().out
    assert out.count('seed') == len(todo) and '[6/6]' in out


def test_run_over_seeds_raises_the_jobs_failure():
    def job(row, seed):
        if seed == 1:
            raise RuntimeError('seed 1 broke')
        return {}
    with pytest.raises(RuntimeError, match='seed 1 broke'):
        run_over_seeds([('r', 0), ('r', 1)], job, lambda *a: '', jobs=2)


def test_run_tool_logs_the_command_and_names_the_log_on_failure(tmp_path):
    log = tmp_path / 'sub' / 'run.log'
    run_tool(['-c', 'import os; print("threads", os.environ["OMP_NUM_THREADS"])'], str(log),
             str(tmp_path), threads=1)
    assert 'threads 1' in log.read_text() and log.read_text().startswith('$ -c ')
    with pytest.raises(RuntimeError) as err:
        run_tool(['-c', 'import sys; print("the reason"); sys.exit(3)'], str(log), str(tmp_path))
    assert 'the reason' in str(err.value) and str(log) in str(err.value)
    assert 'exit 3' in str(err.value)


def test_load_or_run_keeps_a_result_only_when_resuming(tmp_path):
    path = tmp_path / 'r.json'
    path.write_text(json.dumps({'kept': 1}))
    assert load_or_run(str(path), True, lambda: {'made': 1}) == {'kept': 1}
    assert load_or_run(str(path), False, lambda: {'made': 1}) == {'made': 1}
    assert load_or_run(str(tmp_path / 'missing.json'), True, lambda: {'made': 2}) == {'made': 2}


def test_write_ablation_writes_the_table_and_every_seeds_numbers(tmp_path):
    write_ablation(str(tmp_path), 'title', '| a |', {'row': {0: {'m': 1.5}, 2: {'m': 3}}})
    assert (tmp_path / 'ablation.md').read_text() == 'title\n\n| a |\n'
    assert json.loads((tmp_path / 'ablation.json').read_text()) == {
        'row': {'0': {'m': 1.5}, '2': {'m': 3}}}
    assert not [p for p in tmp_path.iterdir() if p.name not in ('ablation.md', 'ablation.json')]

