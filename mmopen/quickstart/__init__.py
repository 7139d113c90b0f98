"""Test and quickstart tooling: tiny CLIP weight files in every release format (random, or
contrastively pre-trained on the quickstart data) and the synthetic quickstart data sets.

Nothing here is registered or imported by ``import mmopen``; the command lines are
``tools/misc/make_tiny_clip.py`` and ``tools/misc/make_quickstart_data.py``.
"""
