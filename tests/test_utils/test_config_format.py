"""A config's yapf formatting once per config text, in the test process only
(tests/config_format.py)."""
from mmengine.config import Config
from mmengine.config import config as config_module
from yapf.yapflib.yapf_api import FormatCode

from tests.config_format import memoize_config_formatting

YAPF_STYLE = dict(based_on_style='pep8', blank_line_before_nested_class_or_def=True,
                  split_before_expression_after_opening_paren=True)


def _config(classes):
    return Config(dict(model=dict(type='Net', vocabulary=classes, channels=[64, 128]),
                       train_cfg=dict(max_iters=10)))


def test_each_text_formatted_once_and_as_yapf_formats_it():
    memoize_config_formatting()
    memoize_config_formatting()  # idempotent: not wrapped twice
    memoized = config_module.FormatCode
    assert memoized.__wrapped__ is FormatCode
    cfg = _config(['cat', 'dog'])
    before = memoized.cache_info()
    first = cfg.pretty_text
    # the text is yapf's own formatting of MMEngine's unformatted text
    unformatted = Config(cfg.to_dict(), format_python_code=False).pretty_text
    assert first == FormatCode(unformatted, style_config=YAPF_STYLE)[0]
    assert first != unformatted
    # read again (the runner's log, the dumped file, the visualizer's copy): no new formatting
    assert cfg.pretty_text == first and _config(['cat', 'dog']).pretty_text == first
    after = memoized.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 2
    # another config is formatted anew: the key is the text, not the object or its file
    other = _config(['cat', 'dog', 'sofa'])
    assert other.pretty_text != first and "'sofa'" in other.pretty_text
    assert memoized.cache_info().misses - after.misses == 1


def test_the_style_is_part_of_the_key():
    memoize_config_formatting()
    text = "x = dict(a=1, b=[1, 2, 3], c=dict(d='e'))\n"
    styles = [dict(based_on_style='pep8'), dict(based_on_style='pep8', indent_width=8,
                                                 column_limit=20)]
    got = [config_module.FormatCode(text, style_config=s)[0] for s in styles]
    assert got == [FormatCode(text, style_config=s)[0] for s in styles]
    assert got[0] != got[1]


def test_a_users_run_keeps_mmengines_formatter(tmp_path, monkeypatch):
    """The memo is the test suite's (its conftest installs it): the tools' runner builder
    leaves MMEngine as a fresh process has it."""
    from torch import nn

    from mmopen.utils.launch import build_runner
    monkeypatch.setattr(config_module, 'FormatCode', FormatCode)  # as a fresh process has it
    cfg = Config(dict(model=nn.Linear(2, 2), work_dir=str(tmp_path), default_scope='mmengine'))
    build_runner(cfg)
    assert config_module.FormatCode is FormatCode
