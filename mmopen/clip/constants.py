"""Constants shared across ``mmopen.clip`` (a leaf module: it imports nothing from mmopen)."""

# CLIP's image normalisation (OpenAI and open_clip models alike), in 0-255 pixel units as
# mmseg / mmpretrain data preprocessors expect.
CLIP_MEAN = (122.7709383, 116.7460125, 104.09373615)
CLIP_STD = (68.5005327, 66.6321579, 70.32316305)

# The tiny architectures mmopen registers with open_clip (see :mod:`mmopen.clip.tiny`).
TINY_MODELS = ('mmopen-tiny-vit', 'mmopen-tiny-convnext')
