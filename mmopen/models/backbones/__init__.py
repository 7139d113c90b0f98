from .clip_dense_backbone import CLIPDenseBackbone

__all__ = ['CLIPDenseBackbone']
