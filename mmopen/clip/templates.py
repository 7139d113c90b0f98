"""Prompt-template sets for CLIP text embeddings.

``IMAGENET_80`` is the 80-template ensemble of the CLIP paper's ImageNet zero-shot evaluation
(Radford et al., 2021, Sec. 3.1.4); ``VILD_14`` is the 14-template set of ViLD (Gu et al., 2022)
used by open-vocabulary segmentation (FC-CLIP, OVSNet). A user list is passed as it is; every
template must contain exactly one ``{}`` for the class name.
"""
from typing import Sequence, Tuple, Union

IMAGENET_80: Tuple[str, ...] = (
    'a bad photo of a {}.', 'a photo of many {}.', 'a sculpture of a {}.',
    'a photo of the hard to see {}.', 'a low resolution photo of the {}.',
    'a rendering of a {}.', 'graffiti of a {}.', 'a bad photo of the {}.',
    'a cropped photo of the {}.', 'a tattoo of a {}.', 'the embroidered {}.',
    'a photo of a hard to see {}.', 'a bright photo of a {}.', 'a photo of a clean {}.',
    'a photo of a dirty {}.', 'a dark photo of the {}.', 'a drawing of a {}.',
    'a photo of my {}.', 'the plastic {}.', 'a photo of the cool {}.',
    'a close-up photo of a {}.', 'a black and white photo of the {}.',
    'a painting of the {}.', 'a painting of a {}.', 'a pixelated photo of the {}.',
    'a sculpture of the {}.', 'a bright photo of the {}.', 'a cropped photo of a {}.',
    'a plastic {}.', 'a photo of the dirty {}.', 'a jpeg corrupted photo of a {}.',
    'a blurry photo of the {}.', 'a photo of the {}.', 'a good photo of the {}.',
    'a rendering of the {}.', 'a {} in a video game.', 'a photo of one {}.',
    'a doodle of a {}.', 'a close-up photo of the {}.', 'a photo of a {}.',
    'the origami {}.', 'the {} in a video game.', 'a sketch of a {}.',
    'a doodle of the {}.', 'a origami {}.', 'a low resolution photo of a {}.',
    'the toy {}.', 'a rendition of the {}.', 'a photo of the clean {}.',
    'a photo of a large {}.', 'a rendition of a {}.', 'a photo of a nice {}.',
    'a photo of a weird {}.', 'a blurry photo of a {}.', 'a cartoon {}.',
    'art of a {}.', 'a sketch of the {}.', 'a embroidered {}.',
    'a pixelated photo of a {}.', 'itap of the {}.', 'a jpeg corrupted photo of the {}.',
    'a good photo of a {}.', 'a plushie {}.', 'a photo of the nice {}.',
    'a photo of the small {}.', 'a photo of the weird {}.', 'the cartoon {}.',
    'art of the {}.', 'a drawing of the {}.', 'a photo of the large {}.',
    'a black and white photo of a {}.', 'the plushie {}.', 'a dark photo of a {}.',
    'itap of a {}.', 'graffiti of the {}.', 'a toy {}.', 'itap of my {}.',
    'a photo of a cool {}.', 'a photo of a small {}.', 'a tattoo of the {}.',
)

VILD_14: Tuple[str, ...] = (
    'a photo of a {}.', 'This is a photo of a {}', 'There is a {} in the scene',
    'There is the {} in the scene', 'a photo of a {} in the scene', 'a photo of a small {}.',
    'a photo of a medium {}.', 'a photo of a large {}.', 'This is a photo of a small {}.',
    'This is a photo of a medium {}.', 'This is a photo of a large {}.',
    'There is a small {} in the scene.', 'There is a medium {} in the scene.',
    'There is a large {} in the scene.',
)

SIMPLE: Tuple[str, ...] = ('a photo of a {}.', )

# CSP (Chen et al., NeurIPS 2024), as released: the ensemble for the ID classes and negative
# nouns, and the one for its conjugated "<adjective> <superclass>" labels
CSP_NOUNS: Tuple[str, ...] = ('a close-up photo of the nice {}.', 'a photo with the nice {}.',
                              'a good photo with the nice {}.', 'a photo of the nice {}.', '{}',
                              'the {}', 'the good {}', 'the nice {}')
CSP_CONJUGATED: Tuple[str, ...] = ('{}', 'a nice photo of {}', 'a good photo of {}',
                                   'a close-up photo of {}')

TEMPLATE_SETS = {'imagenet80': IMAGENET_80, 'vild': VILD_14, 'simple': SIMPLE,
                 'csp_nouns': CSP_NOUNS, 'csp': CSP_CONJUGATED}


def resolve_templates(templates: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Return a template tuple from a set name (``'imagenet80'``, ``'vild'``, ``'simple'``,
    ``'csp_nouns'``, ``'csp'``) or a
    user list, checking that each template has exactly one ``{}`` placeholder."""
    if isinstance(templates, str):
        if templates not in TEMPLATE_SETS:
            raise ValueError(f'Unknown template set {templates!r}: use one of '
                             f'{sorted(TEMPLATE_SETS)} or pass a list of strings with one "{{}}".')
        return TEMPLATE_SETS[templates]
    templates = tuple(templates)
    if not templates:
        raise ValueError('The template list is empty: pass at least one template such as '
                         '"a photo of a {}."')
    for t in templates:
        if not isinstance(t, str) or t.count('{}') != 1:
            raise ValueError(f'Template {t!r} must be a string with exactly one "{{}}" where the '
                             'class name goes.')
    return templates
