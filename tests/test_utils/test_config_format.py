"""A config's yapf formatting once per config text (mmopen/utils/config_format.py)."""
from mmengine.config import Config
from mmengine.config import config as config_module
from yapf.yapflib.yapf_api import FormatCode

from mmopen.utils.config_format import memoize_config_formatting

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
