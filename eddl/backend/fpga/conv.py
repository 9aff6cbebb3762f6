"""Convolutions of the FPGA backend.

The forward convolutions HLSinf runs (2-D, float32, kernels up to 3x3, strides 1 and 2, no
groups or dilation) go through the emulator's FP32 kernel, which accumulates CPI input channels
at a time as the HLSinf 1.0 build does; every other convolution, and the gradients (HLSinf
only infers, EDDL trains on the CPU), are the reference backend's.
"""

import numpy as np

from ..reference import conv as _ref
from .emulator import conv2d
from .kernels import kernel_config

__all__ = ["out_size", "conv_forward", "conv_backward_data", "conv_backward_weights",
           "bias_add", "bias_grad", "channel_epilogue"]

out_size = _ref.out_size
conv_backward_data = _ref.conv_backward_data
conv_backward_weights = _ref.conv_backward_weights
bias_add = _ref.bias_add
channel_epilogue = _ref.channel_epilogue
bias_grad = _ref.bias_grad

#: input channels the FP32 build accumulates per step
CPI = kernel_config(1, 0).cpi


def _on_kernel(x, w, out, stride, dilation, groups):
    return (all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in (x, w, out))
            and x.ndim == w.ndim == out.ndim == 4 and groups == 1
            and tuple(dilation) == (1, 1) and max(w.shape[2:]) <= 3 and max(stride) <= 2
            and w.shape[1] == x.shape[1] and out.shape[:2] == (x.shape[0], w.shape[0]))


def conv_forward(x, w, out, stride, pad, dilation, groups=1, accumulate=False):
    """``out (=|+=) conv(x, w)``; see :class:`eddl.backend.contract.Conv`."""
    if not _on_kernel(x, w, out, stride, dilation, groups):
        return _ref.conv_forward(x, w, out, stride, pad, dilation, groups, accumulate)
    if len(pad) != 2 or min(pad) < 0 or min(stride) < 1:
        raise ValueError(f"conv: stride and pad need 2 values each (stride >= 1, pad >= 0), "
                         f"got {tuple(stride)}, {tuple(pad)}")
    y = conv2d(x, w, tuple(int(s) for s in stride), tuple(int(p) for p in pad), out.shape[2:], CPI)
    if accumulate:
        out += y
    else:
        out[...] = y
    return out
