from .ovs_encoder_decoder import OVSEncoderDecoder, chunked_upsample_argmax

__all__ = ['OVSEncoderDecoder', 'chunked_upsample_argmax']
