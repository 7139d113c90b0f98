"""mmpretrain's models import next to transformers 5 once mmopen is imported, and its BLIP-family
models become placeholders with a clear error (fresh interpreters: import order matters)."""
import subprocess
import sys

from tests.tool_runner import REPO


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_mmpretrain_models_import_after_mmopen():
    out = _python(
        'import mmopen, mmpretrain.models, mmseg.models\n'
        'from mmpretrain.registry import MODELS\n'
        'from mmpretrain.utils import dependency\n'
        'from mmopen.compat.mmpretrain_multimodal import transformers_breaks_mmpretrain\n'
        'print(transformers_breaks_mmpretrain(), dependency.WITH_MULTIMODAL)\n'
        'MODELS.build(dict(type="ImageClassifier", backbone=dict(type="ResNet", depth=18)))\n'
        'try:\n'
        '    MODELS.build(dict(type="BlipCaption"))\n'
        'except ImportError as e:\n'
        '    print("placeholder:", e)\n')
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == 'True False'  # transformers 5 is installed: multimodal off
    # (mmpretrain's placeholders all name its last multi-modal model: an upstream quirk)
    assert 'requires extra multi-modal dependencies' in lines[-1]


def test_without_the_guard_the_upstream_import_fails():
    """What the guard prevents (so the test above cannot pass for another reason)."""
    out = _python('import mmpretrain.models')
    assert out.returncode != 0 and 'NoneType takes no arguments' in out.stderr
