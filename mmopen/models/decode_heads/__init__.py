from .ovsnet_head import OVSNetHead

__all__ = ['OVSNetHead']
