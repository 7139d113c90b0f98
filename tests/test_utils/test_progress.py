"""Progress bars only where someone watches: on a terminal, unless turned off."""
import io
import sys

import torch

from mmopen.clip.text import ensemble_embeddings
from mmopen.utils.progress import ENV, disable_progress, progress_bar, show_progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _encode(prompts):
    return torch.stack([torch.tensor([float(len(p)), 1.0, 0.5]) for p in prompts])


def test_a_bar_only_on_a_terminal_and_not_when_turned_off(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert show_progress(stream=Terminal()) and not show_progress(stream=io.StringIO())
    assert not show_progress(no_progress=True, stream=Terminal())
    monkeypatch.setenv(ENV, '1')
    assert not show_progress(stream=Terminal())
    monkeypatch.delenv(ENV)
    disable_progress(False)
    assert ENV not in __import__('os').environ
    disable_progress(True)  # a tool's --no-progress: for this process and its children
    assert __import__('os').environ[ENV] == '1'
    monkeypatch.delenv(ENV)


def test_text_embeddings_show_their_chunks_on_a_terminal(monkeypatch):
    vocab = [[f'class{i}', f'synonym{i}'] for i in range(5)]  # 10 names x 2 templates
    templates = ['a {}', 'the {}']
    monkeypatch.delenv(ENV, raising=False)
    term = Terminal()
    monkeypatch.setattr(sys, 'stderr', term)
    chunked = ensemble_embeddings(_encode, vocab, templates, batch_size=8)  # 3 chunks
    assert 'text embeddings (5 classes, 20 prompts)' in term.getvalue()
    assert '0/3' in term.getvalue()  # drawn with its 3 chunks (cleared at the end)
    # the chunks change nothing but the bar: the same means as one chunk
    assert torch.allclose(chunked, ensemble_embeddings(_encode, vocab, templates, 1024))
    for env, batch in (({}, 1024), ({ENV: '1'}, 8)):  # one chunk; or turned off
        term = Terminal()
        monkeypatch.setattr(sys, 'stderr', term)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        ensemble_embeddings(_encode, vocab, templates, batch_size=batch)
        assert term.getvalue() == ''
    monkeypatch.setattr(sys, 'stderr', io.StringIO())  # not a terminal: nothing
    monkeypatch.delenv(ENV)
    with progress_bar(3, 'x') as bar:
        bar.update(1)
    assert sys.stderr.getvalue() == ''
