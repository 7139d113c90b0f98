"""The quickstart's worlds and tiny models, which its configs and tools use: the synthetic
segmentation, OOD and OSDG data sets, tiny CLIP weight files in every release format (random, or
contrastively pre-trained on the quickstart data) and the tiny inpainting model.

Nothing here is registered or imported by ``import mmopen``; the command lines are
``tools/misc/setup_quickstart.py`` (all of it), ``tools/misc/make_tiny_clip.py`` and
``tools/misc/make_quickstart_data.py``. The tests build their inputs from the same functions
(``tests/assets.py``); the test machinery itself lives in ``tests/``.
"""
