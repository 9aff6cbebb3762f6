"""The fused HLSinf layer: one launch of EDDL's FPGA kernel in a model made by ``eddl.toFPGA``.

The layer holds what the kernel needs (the convolution's filters and bias, batch normalization
values, the stages in order and their constants) and hands the chain to its backend's
``hlsinf`` operation: the emulator on ``CS_FPGA(emulate=True)``, the card through XRT
otherwise. It does not know which: a backend without ``hlsinf`` (CPU, GPU) is refused at build.
"""

import numpy as np

from ..backend.fpga.emulator import STAGES, Chain
from .base import Layer
from .registry import register_layer

__all__ = ["HLSinf"]


@register_layer()
class HLSinf(Layer):
    """A fused HLSinf chain: a 2-D convolution (or a Dense layer) and the stages after it.

    Made by :func:`eddl.toFPGA` from the layers it replaces; inference only (HLSinf does not
    train). Its weights are ``W`` (``filters x C x kh x kw``; a Dense layer's ``in x units``
    matrix as ``units x in x 1 x 1``), ``bias`` when ``use_bias`` and, with a ``"bn"`` stage,
    ``bn`` (``filters x 4``: beta, gamma, mean, variance as the card's buffer holds them).

    Parameters
    ----------
    layers : list of Layer
        The input, and for an ``"add"`` stage the residual.
    filters : int
    kernel_size : list of int
        ``[kh, kw]``, each at most 3.
    strides : list of int
    pads : list of list of int
        ``[[top, bottom], [left, right]]`` zero padding.
    stages : list of str
        The stages of :data:`eddl.backend.fpga.emulator.STAGES` in order.
    use_bias : bool
    dense : bool
        True when the chain is a Dense layer on 1-D inputs (a 1x1 convolution of 1x1 images).
    alpha : float
        Slope of ``"leaky_relu"``.
    scale : float
        Factor (a power of two) of ``"scale"``.
    clip : list of float or None
        ``[lo, hi]`` of ``"clamp"``.
    epsilon : float
        Of the ``"bn"`` stage.
    version, subversion : int
        The HLSinf build.
    fracs : list of int or None
        ``[in_frac, out_frac, w_frac]``: the calibrated fixed-point scales of an 8-bit build.
    name : str
    """

    prefix = "hlsinf"

    def __init__(self, layers, filters, kernel_size, strides=(1, 1), pads=((1, 1), (1, 1)),
                 stages=(), use_bias=True, dense=False, alpha=0.01, scale=1.0, clip=None,
                 epsilon=1e-5, version=1, subversion=0, fracs=None, name=""):
        self.filters = int(filters)
        self.kernel_size = tuple(int(k) for k in kernel_size)
        self.strides = tuple(int(s) for s in strides)
        self.pads = tuple(tuple(int(v) for v in p) for p in pads)
        self.stages = tuple(stages)
        self.use_bias, self.dense = bool(use_bias), bool(dense)
        self.alpha, self.scale, self.epsilon = float(alpha), float(scale), float(epsilon)
        self.clip = None if clip is None else tuple(float(v) for v in clip)
        self.build_id = (int(version), int(subversion))
        self.fracs = None if fracs is None else tuple(int(f) for f in fracs)
        bad = [s for s in self.stages if s not in STAGES]
        if bad:
            raise ValueError(f"HLSinf: unknown stages {bad}; valid: {list(STAGES)}")
        if len(self.kernel_size) != 2 or max(self.kernel_size) > 3 or min(self.kernel_size) < 1:
            raise ValueError(f"HLSinf: kernel_size must be 2 sizes up to 3, got {kernel_size}")
        if self.dense and (self.kernel_size != (1, 1) or any(map(any, self.pads))):
            raise ValueError("HLSinf: a Dense chain is a 1x1 convolution without padding")
        n = 2 if "add" in self.stages else 1
        if len(layers) != n:
            raise ValueError(f"HLSinf: stages {list(self.stages)} take {n} input layer(s), "
                             f"got {len(layers)}")
        super().__init__(layers, name)
        self.trainable = False

    # --- shapes and weights ------------------------------------------------------------------
    def _channels(self, s):
        if self.dense:
            if len(s) != 1:
                raise self.shape_error(f"a Dense chain takes 1-D samples, got {list(s)}")
            return s[0], 1, 1
        if len(s) != 3:
            raise self.rank_error(s, "3-D samples (C x H x W)", "[C, H, W]")
        return s

    def compute_shape(self, s, *residual):
        c, h, w = self._channels(s)
        self.in_channels = c
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        h = (h + sum(self.pads[0]) - kh) // sh + 1
        w = (w + sum(self.pads[1]) - kw) // sw + 1
        if h < 1 or w < 1:
            raise self.shape_error(f"kernel {list(self.kernel_size)} and pads "
                                   f"{[list(p) for p in self.pads]} leave no output")
        for st in self.stages:
            if st == "add" and tuple(residual[0]) != ((self.filters,) if self.dense
                                                      else (self.filters, h, w)):
                raise self.shape_error(f"the residual must be {[self.filters, h, w]}, got "
                                       f"{list(residual[0])}")
            if st in ("maxpool", "avgpool"):
                h, w = h // 2, w // 2
            elif st == "upsize":
                h, w = 2 * h, 2 * w
        return (self.filters,) if self.dense else (self.filters, h, w)

    def param_specs(self):
        specs = [("W", (self.filters, self.in_channels) + self.kernel_size, "glorot_uniform")]
        if self.use_bias:
            specs.append(("bias", (self.filters,), "zeros"))
        if "bn" in self.stages:
            specs.append(("bn", (self.filters, 4), "zeros"))
        return specs

    def chain(self):
        """Return the :class:`~eddl.backend.fpga.emulator.Chain` this layer computes (host arrays)."""
        host = [np.asarray(a, np.float64) for a in self._host(self.params)]
        kw = {}
        if "bn" in self.stages:
            beta, gamma, mean, var = host[-1].T
            s = gamma / np.sqrt(var + self.epsilon)
            kw = dict(bn_scale=s, bn_shift=beta - mean * s)
        return Chain(host[0], host[1] if self.use_bias else None, self.strides, self.pads,
                     self.stages, alpha=self.alpha, scale=self.scale, clip=self.clip, **kw)

    # --- run time ---------------------------------------------------------------------------
    def setup(self, be, dtype):
        if not callable(getattr(be, "hlsinf", None)):
            raise RuntimeError(f"HLSinf layer {self.name!r}: the {getattr(be, 'name', be)!r} backend "
                               "cannot run fused HLSinf chains; build the model with "
                               "eddl.CS_FPGA([1]) (or CS_FPGA([1], emulate=True) for the emulator)")
        super().setup(be, dtype)

    def forward(self):
        x, out = self.parents[0].output, self.output
        res = self.parents[1].output if len(self.parents) > 1 else None
        if self.dense:  # 1x1 images of `in` channels
            x, out = x.reshape(x.shape + (1, 1)), out.reshape(out.shape + (1, 1))
            res = None if res is None else res.reshape(res.shape + (1, 1))
        self.be.hlsinf(self.chain(), x, res, out, self.build_id, self.fracs)

    def backward(self):
        raise RuntimeError(f"HLSinf layer {self.name!r}: HLSinf runs inference only; train the "
                           "original model on the CPU or GPU and convert it with eddl.toFPGA again")
