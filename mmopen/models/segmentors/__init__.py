from .ovs_encoder_decoder import OVSEncoderDecoder

__all__ = ['OVSEncoderDecoder']
