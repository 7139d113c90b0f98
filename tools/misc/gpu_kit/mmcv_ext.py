"""mmcv's operator module (``mmcv._ext``) for an mmcv installed without compiled operators, as
the GPU kit installs it (docs/install.md): compiling mmcv's CUDA operators does not fit a GPU
check of a few minutes on a node that starts bare.

Multi-scale deformable attention, the one compiled operator that OVSNet's and mmseg's stock
Mask2Former pixel decoder call on CUDA, runs as mmcv's own PyTorch version
(``multi_scale_deformable_attn_pytorch``, what mmcv runs on the CPU), forward and backward
(the gradients by autograd), so both heads share one decoder path and their speed ratio stays
fair (absolute times are those of the PyTorch path, slower than mmcv's kernel). Any other
operator raises an error that names it and says how to get compiled operators. mmcv's
``load_ext`` only checks that the names exist, so every name resolves."""
import torch


def _pytorch_attention(value, spatial_shapes, sampling_locations, attention_weights):
    from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch
    return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                               attention_weights)


def ms_deform_attn_forward(value, value_spatial_shapes, value_level_start_index,
                           sampling_locations, attention_weights, im2col_step=64):
    return _pytorch_attention(value, value_spatial_shapes, sampling_locations,
                              attention_weights)


def ms_deform_attn_backward(value, value_spatial_shapes, value_level_start_index,
                            sampling_locations, attention_weights, grad_output, grad_value,
                            grad_sampling_loc, grad_attn_weight, im2col_step=64):
    """Fills ``grad_value``, ``grad_sampling_loc`` and ``grad_attn_weight`` in place, as mmcv's
    kernel does."""
    with torch.enable_grad():
        inputs = [t.detach().requires_grad_(True)
                  for t in (value, sampling_locations, attention_weights)]
        out = _pytorch_attention(inputs[0], value_spatial_shapes, inputs[1], inputs[2])
        grads = torch.autograd.grad(out, inputs, grad_output.reshape(out.shape),
                                    allow_unused=True)
    for target, grad in zip((grad_value, grad_sampling_loc, grad_attn_weight), grads):
        if grad is not None:
            target.copy_(grad)


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)

    def missing(*args, **kwargs):
        raise RuntimeError(
            f"mmcv's compiled operator {name!r} is not installed: this mmcv was installed "
            'from the GPU kit without compiled operators (only multi-scale deformable attention '
            'runs, in PyTorch). Build mmcv with its operators (docs/install.md: MMCV_WITH_OPS=1 '
            'FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=<arch>) to use it.')
    missing.__name__ = name
    return missing
