from .clip_feature_pyramid import CLIPSimpleFeaturePyramid

__all__ = ['CLIPSimpleFeaturePyramid']
