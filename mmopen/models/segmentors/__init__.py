from .ovs_encoder_decoder import OVSEncoderDecoder, chunked_semantic_argmax

__all__ = ['OVSEncoderDecoder', 'chunked_semantic_argmax']
