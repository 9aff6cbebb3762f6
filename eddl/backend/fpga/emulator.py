"""Emulator of a fused HLSinf convolution chain, in NumPy.

A chain is one 2-D convolution (kernel up to 3x3) followed by the stages the kernel fuses, in
the order the graph gives them: ``"bn"`` (a per-channel affine with inference statistics),
``"relu"``, ``"leaky_relu"``, ``"stm"`` (``y * tanh(softplus(y))``, the kernel's
softplus-tanh-multiply unit), ``"scale"`` (a multiplication by a power of two, the kernel's
shift unit), ``"clamp"`` (clipping to ``[lo, hi]``), ``"maxpool"`` and ``"avgpool"`` (2x2
windows, stride 2), ``"add"`` (a residual input of the output's shape) and ``"upsize"``
(nearest, x2).

Two arithmetics, as the kernel builds (:mod:`.kernels`):

* :func:`run_float`: the FP32 builds. The convolution accumulates CPI input channels at a time
  in the array's precision; in float64 it is the reference the fixed-point path is measured
  against.
* :func:`run_fixed`: the 8-bit builds, on integers, bit for bit the contract written in
  ``docs/fpga.md``: power-of-two scales, int8 weights, int32 bias and accumulator (wrapping as
  ``ap_int<32>``), a rounding right shift to the output scale, ReLU, saturation to the output
  format, then pooling, residual addition and upsizing on the saturated integers.

:func:`quantize_chain` turns a float chain into the integer one and :func:`quantization_bound`
bounds, element by element, how far the dequantized fixed-point output may be from
:func:`run_float` of the unquantized chain.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .kernels import FORMATS

__all__ = ["Chain", "QuantChain", "STAGES", "conv2d", "run_float", "frac_bits", "quantize",
           "quantize_chain", "run_fixed", "dequantize", "quantization_bound"]

STAGES = ("bn", "relu", "leaky_relu", "stm", "scale", "clamp", "maxpool", "avgpool", "add",
          "upsize")


def _is_power_of_two(k):
    k = float(k)
    return k > 0 and float(np.log2(k)).is_integer()


@dataclass
class Chain:
    """A fused convolution chain with float parameters.

    Parameters
    ----------
    weights : ndarray
        ``F x C x kh x kw`` with ``kh, kw <= 3``.
    bias : ndarray or None
        ``F`` values.
    stride : tuple of int
    pads : tuple of (int, int)
        Zero padding (before, after) of the height and width axes.
    stages : tuple of str
        Members of :data:`STAGES` in the order they apply.
    bn_scale, bn_shift : ndarray or None
        The ``"bn"`` stage's per-channel ``y * scale + shift``.
    alpha : float
        Slope of ``"leaky_relu"`` below zero.
    scale : float
        Factor of ``"scale"``: a power of two, as the kernel shifts bits.
    clip : tuple of float
        ``(lo, hi)`` of ``"clamp"``.
    """

    weights: np.ndarray
    bias: np.ndarray = None
    stride: tuple = (1, 1)
    pads: tuple = ((1, 1), (1, 1))
    stages: tuple = ()
    bn_scale: np.ndarray = None
    bn_shift: np.ndarray = None
    alpha: float = 0.01
    scale: float = 1.0
    clip: tuple = None

    def __post_init__(self):
        w = np.asarray(self.weights)
        if w.ndim != 4 or w.shape[2] > 3 or w.shape[3] > 3:
            raise ValueError(f"Chain: weights must be F x C x kh x kw with kernels up to 3x3, "
                             f"got shape {w.shape}")
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ValueError(f"Chain: unknown stages {unknown}; valid: {list(STAGES)}")
        if "bn" in self.stages and (self.bn_scale is None or self.bn_shift is None):
            raise ValueError("Chain: a 'bn' stage needs bn_scale and bn_shift")
        if "scale" in self.stages and not _is_power_of_two(self.scale):
            raise ValueError(f"Chain: the 'scale' stage shifts bits, so its factor must be a "
                                 f"positive power of two, got {self.scale}")
        if "clamp" in self.stages and (self.clip is None or len(self.clip) != 2
                                       or float(self.clip[0]) > float(self.clip[1])):
            raise ValueError(f"Chain: a 'clamp' stage needs clip=(lo, hi) with lo <= hi, got "
                             f"{self.clip}")
        if self.bias is not None and np.shape(self.bias) != (w.shape[0],):
            raise ValueError(f"Chain: bias must hold {w.shape[0]} values, got {np.shape(self.bias)}")
        self.stride = tuple(int(s) for s in self.stride)
        self.pads = tuple(tuple(int(v) for v in p) for p in self.pads)

    def out_shape(self, in_shape):
        """Shape ``N x F x H x W`` of the chain's output for an input of ``in_shape``."""
        n, _, h, w = in_shape
        (kh, kw), (sh, sw) = self.weights.shape[2:], self.stride
        h = (h + sum(self.pads[0]) - kh) // sh + 1
        w = (w + sum(self.pads[1]) - kw) // sw + 1
        for s in self.stages:
            if s in ("maxpool", "avgpool"):
                h, w = h // 2, w // 2
            elif s == "upsize":
                h, w = 2 * h, 2 * w
        return (n, self.weights.shape[0], h, w)


def _windows(x, k, stride, pad_before, out_hw):
    """Return the ``N x C x Ho x Wo x kh x kw`` input windows of a convolution (a view)."""
    n, c, h, w = x.shape
    need = [(o - 1) * s + kk for o, s, kk in zip(out_hw, stride, k)]
    after = [max(nd - pb - size, 0) for nd, pb, size in zip(need, pad_before, (h, w))]
    xp = np.pad(x, ((0, 0), (0, 0), (pad_before[0], after[0]), (pad_before[1], after[1])))
    win = np.lib.stride_tricks.sliding_window_view(xp, k, axis=(2, 3))
    return win[:, :, :need[0] - k[0] + 1:stride[0], :need[1] - k[1] + 1:stride[1]]


def conv2d(x, w, stride, pad_before, out_hw, cpi=None):
    """2-D cross-correlation accumulated ``cpi`` input channels at a time, in ``x``'s dtype.

    Integer inputs accumulate exactly in int64 (the caller wraps to the accumulator width).
    """
    win = _windows(x, w.shape[2:], stride, pad_before, out_hw)
    c = x.shape[1]
    cpi = cpi or c
    out = None
    for lo in range(0, c, cpi):  # the kernel's channel blocking: one partial sum per block
        part = np.einsum("nchwij,fcij->nfhw", win[:, lo:lo + cpi], w[:, lo:lo + cpi])
        out = part if out is None else out + part
    return out


def _conv_out_hw(chain, x):
    (kh, kw), (sh, sw) = chain.weights.shape[2:], chain.stride
    return ((x.shape[2] + sum(chain.pads[0]) - kh) // sh + 1,
            (x.shape[3] + sum(chain.pads[1]) - kw) // sw + 1)


def _pool2(y, kind):
    n, c, h, w = y.shape
    blocks = y[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    if kind == "max":
        return blocks.max(axis=(3, 5))
    return blocks.sum(axis=(3, 5))


def _upsize(y):
    return y.repeat(2, axis=2).repeat(2, axis=3)


def _check_input(chain, x, residual):
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] != chain.weights.shape[1]:
        raise ValueError(f"chain input must be N x {chain.weights.shape[1]} x H x W, got {x.shape}")
    if "add" in chain.stages:
        if residual is None:
            raise ValueError("chain has an 'add' stage: give the residual input")
        idx = chain.stages.index("add")
        want = replace(chain, stages=chain.stages[:idx]).out_shape(x.shape)
        if np.shape(residual) != want:
            raise ValueError(f"residual must have shape {want}, got {np.shape(residual)}")
    return x


def run_float(chain, x, residual=None, dtype=np.float32, cpi=4):
    """Run ``chain`` on ``x`` (``N x C x H x W``) in floating point.

    Parameters
    ----------
    chain : Chain
    x, residual : ndarray
        The input and, for an ``"add"`` stage, the residual input.
    dtype : dtype
        float32 as the FP32 kernel builds; float64 for a reference.
    cpi : int
        Input channels accumulated per block (the build's CPI).

    Returns
    -------
    ndarray of ``dtype``
    """
    x = _check_input(chain, x, residual).astype(dtype, copy=False)
    w = np.asarray(chain.weights, dtype)
    y = conv2d(x, w, chain.stride, [p[0] for p in chain.pads], _conv_out_hw(chain, x), cpi)
    if chain.bias is not None:
        y += np.asarray(chain.bias, dtype)[None, :, None, None]
    for s in chain.stages:
        if s == "bn":
            y = (y * np.asarray(chain.bn_scale, dtype)[None, :, None, None]
                 + np.asarray(chain.bn_shift, dtype)[None, :, None, None])
        elif s == "relu":
            y = np.maximum(y, 0)
        elif s == "leaky_relu":
            y = np.where(y > 0, y, y * np.asarray(chain.alpha, dtype))
        elif s == "stm":
            y = y * np.tanh(np.logaddexp(np.asarray(0, dtype), y))
        elif s == "scale":
            y = y * np.asarray(chain.scale, dtype)
        elif s == "clamp":
            y = np.clip(y, np.asarray(chain.clip[0], dtype), np.asarray(chain.clip[1], dtype))
        elif s == "maxpool":
            y = _pool2(y, "max")
        elif s == "avgpool":
            y = _pool2(y, "sum") * np.asarray(0.25, dtype)
        elif s == "add":
            y = y + np.asarray(residual, dtype)
        else:
            y = _upsize(y)
    return y.astype(dtype, copy=False)


# --- fixed point ----------------------------------------------------------------------------

def _range(fmt):
    if FORMATS.get(fmt) is None:
        raise ValueError(f"{fmt!r} is no fixed-point format; valid: "
                         f"{[k for k, v in FORMATS.items() if v]}")
    bits, signed = FORMATS[fmt]
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def frac_bits(max_abs, fmt):
    """Return the most fractional bits ``f`` with ``max_abs * 2**f`` inside format ``fmt``.

    The scale of a tensor is ``2**-f``; calibration picks ``f`` from the largest magnitude seen.

    Examples
    --------
    >>> from eddl.backend.fpga.emulator import frac_bits
    >>> frac_bits(1.0, "API8"), frac_bits(3.9, "APUI8")
    (6, 6)
    """
    hi = _range(fmt)[1]
    max_abs = float(max_abs)
    if not np.isfinite(max_abs) or max_abs < 0:
        raise ValueError(f"frac_bits: max_abs must be finite and >= 0, got {max_abs}")
    if max_abs == 0:
        return 0
    return int(np.floor(np.log2(hi / max_abs)))


def quantize(a, frac, fmt):
    """Host-side conversion to fixed point: ``clip(rint(a * 2**frac))`` in format ``fmt``.

    Rounding is to nearest, ties to even; values outside the format saturate. The result is an
    int64 array holding the format's integers.
    """
    lo, hi = _range(fmt)
    return np.clip(np.rint(np.asarray(a, np.float64) * 2.0 ** frac), lo, hi).astype(np.int64)


def dequantize(q, frac):
    """Return the real values ``q * 2**-frac`` (float64) of fixed-point integers ``q``."""
    return np.asarray(q, np.float64) * 2.0 ** -frac


@dataclass
class QuantChain:
    """A chain in the integers of an 8-bit HLSinf build (see :func:`quantize_chain`).

    Attributes
    ----------
    weights, bias : ndarray of int64
        API8 weights at scale ``2**-w_frac`` (BN folded in) and API32 bias at scale
        ``2**-(in_frac + w_frac)``.
    in_frac, w_frac, out_frac, res_frac : int
        Fractional bits of the input, weights, output and residual.
    scale_exp : int
        ``log2`` of a ``"scale"`` stage right after the convolution (0 without one): it
        becomes part of the shift.
    clip : tuple of int or None
        Integer bounds of a ``"clamp"`` stage at the output scale (rounded inwards).
    shift : int
        Right shift from the accumulator to the output scale.
    """

    weights: np.ndarray
    bias: np.ndarray
    stride: tuple
    pads: tuple
    stages: tuple
    in_frac: int
    w_frac: int
    out_frac: int
    res_frac: int = None
    input_format: str = "APUI8"
    output_format: str = "APUI8"
    acc_format: str = "API32"
    source: Chain = field(default=None, repr=False)
    scale_exp: int = 0
    clip: tuple = None

    @property
    def shift(self):
        """Right shift from the accumulator's scale to the output's (a ``"scale"`` included)."""
        return self.in_frac + self.w_frac - self.scale_exp - self.out_frac


def quantize_chain(chain, config, in_frac, out_frac, w_frac=None, res_frac=None):
    """Quantize ``chain`` for the fixed-point build ``config``.

    A ``"bn"`` stage right after the convolution is folded into the weights and bias (inference
    statistics), as the deployed model computes it; a ``"scale"`` right after the convolution
    (or the folded BN) joins the output shift; a ``"clamp"`` clips the output integers at
    bounds rounded inwards. ``"leaky_relu"``, ``"stm"`` and a BN or scale elsewhere in the
    chain have no fixed-point form here and raise.

    Parameters
    ----------
    chain : Chain
    config : KernelConfig
        An 8-bit build (``config.fixed_point``).
    in_frac, out_frac : int
        Fractional bits of the input and output activations (from calibration).
    w_frac : int, optional
        Fractional bits of the weights; by default the most that hold the largest weight.
    res_frac : int, optional
        Fractional bits of the residual of an ``"add"`` stage; it must equal ``out_frac``,
        as the kernel adds the integers.

    Returns
    -------
    QuantChain
    """
    if not config.fixed_point:
        raise ValueError(f"HLSinf {config.version}.{config.subversion} is an FP32 build: run "
                         "it with run_float")
    stages = tuple(chain.stages)
    w = np.asarray(chain.weights, np.float64)
    b = np.zeros(w.shape[0]) if chain.bias is None else np.asarray(chain.bias, np.float64)
    if stages[:1] == ("bn",):
        scale = np.asarray(chain.bn_scale, np.float64)
        w = w * scale[:, None, None, None]
        b = b * scale + np.asarray(chain.bn_shift, np.float64)
        stages = stages[1:]
    scale_exp = 0
    if stages[:1] == ("scale",):
        scale_exp = int(np.log2(float(chain.scale)))
        stages = stages[1:]
    bad = [s for s in stages if s in ("bn", "leaky_relu", "stm", "scale")]
    if bad:
        raise ValueError(f"quantize_chain: stages {bad} (after {stages[0]!r}) have no fixed-point "
                         "form in the 8-bit builds; keep those layers on the CPU")
    if "add" in stages:
        res_frac = out_frac if res_frac is None else res_frac
        if res_frac != out_frac:
            raise ValueError(f"quantize_chain: the residual's fractional bits ({res_frac}) must "
                             f"equal the output's ({out_frac})")
    if w_frac is None:
        w_frac = frac_bits(np.abs(w).max(), config.filter_format)
    if in_frac + w_frac - scale_exp < out_frac:
        raise ValueError(f"quantize_chain: the output scale 2**-{out_frac} is finer than the "
                         f"accumulator's 2**-{in_frac + w_frac - scale_exp}; lower out_frac")
    clip = None
    if "clamp" in stages:
        lo, hi = (float(v) * 2.0 ** out_frac for v in chain.clip)
        clip = (int(np.ceil(lo)), int(np.floor(hi)))
    return QuantChain(quantize(w, w_frac, config.filter_format),
                      quantize(b, in_frac + w_frac, config.bias_format), chain.stride, chain.pads,
                      stages, in_frac, w_frac, out_frac, res_frac, config.input_format,
                      config.output_format, "API32", chain, scale_exp, clip)


def _wrap32(a):
    return ((a + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def run_fixed(q, x, residual=None, cpi=None):
    """Run the integer chain ``q`` on fixed-point input ``x`` (integers of ``q.input_format``).

    Every step is integer arithmetic on int64 arrays, so the result does not depend on summation
    order: ``cpi`` only splits the work as the kernel does.

    Returns
    -------
    ndarray of int64
        Integers of ``q.output_format`` at scale ``2**-q.out_frac``.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        raise TypeError(f"run_fixed: input must hold integers (quantize it first), got {x.dtype}")
    lo_in, hi_in = _range(q.input_format)
    if x.size and (x.min() < lo_in or x.max() > hi_in):
        raise ValueError(f"run_fixed: input outside {q.input_format} [{lo_in}, {hi_in}]")
    chain = replace(q.source, stages=q.stages) if q.source is not None else None
    x = _check_input(chain, x, residual).astype(np.int64) if chain else x.astype(np.int64)
    acc = conv2d(x, q.weights, q.stride, [p[0] for p in q.pads],
                 _conv_out_hw(q, x), cpi)
    acc = _wrap32(_wrap32(acc) + q.bias[None, :, None, None])
    s = q.shift
    y = (acc + (1 << (s - 1))) >> s if s > 0 else acc  # round half up, arithmetic shift
    lo, hi = _range(q.output_format)
    y = np.clip(y, lo, hi)  # ReLU and saturation: both are a clip on the output integers
    for st in q.stages:
        if st == "relu":
            y = np.maximum(y, 0)
        elif st == "clamp":
            y = np.clip(y, *q.clip)
        elif st == "maxpool":
            y = _pool2(y, "max")
        elif st == "avgpool":
            y = (_pool2(y, "sum") + 2) >> 2
        elif st == "add":
            y = np.clip(y + np.asarray(residual, np.int64), lo, hi)
        elif st == "upsize":
            y = _upsize(y)
    return y


def quantization_bound(q, x, residual=None):
    """Per-element bound on ``|dequantize(run_fixed(q, quantize(x))) - run_float(chain, x)|``.

    ``x`` (and ``residual``) are the float inputs. The convolution's error is at most
    ``sum |x| |w - wq| + sum |wq| |x - xq| + |b - bq|`` (times a ``"scale"`` factor), plus half
    an output step for the rounding shift; a clamp adds the rounding of its bounds; ReLU, max pooling and upsizing do not increase an element-wise bound, average
    pooling adds half an output step, the residual adds its own rounding error. Saturation is
    not covered: values outside the output format's range (calibration's job) are excluded.

    Returns
    -------
    ndarray of float64, shaped like the output
    """
    c = q.source
    w = np.asarray(c.weights, np.float64)
    b = np.zeros(w.shape[0]) if c.bias is None else np.asarray(c.bias, np.float64)
    if c.stages[:1] == ("bn",):
        w = w * np.asarray(c.bn_scale, np.float64)[:, None, None, None]
        b = b * np.asarray(c.bn_scale, np.float64) + np.asarray(c.bn_shift, np.float64)
    x = np.asarray(x, np.float64)
    xq = dequantize(quantize(x, q.in_frac, q.input_format), q.in_frac)
    wq = dequantize(q.weights, q.w_frac)
    bq = dequantize(q.bias, q.in_frac + q.w_frac)
    pad, hw = [p[0] for p in q.pads], _conv_out_hw(q, x)
    err = (conv2d(np.abs(x), np.abs(w - wq), q.stride, pad, hw)
           + conv2d(np.abs(x - xq), np.abs(wq), q.stride, pad, hw)
           + np.abs(b - bq)[None, :, None, None]) * 2.0 ** q.scale_exp + 2.0 ** -(q.out_frac + 1)
    step = 2.0 ** -q.out_frac
    for st in q.stages:
        if st == "clamp":
            lo, hi = (dequantize(v, q.out_frac) for v in q.clip)
            err = err + max(abs(lo - float(c.clip[0])), abs(hi - float(c.clip[1])))
        elif st == "maxpool":
            err = _pool2(err, "max")
        elif st == "avgpool":
            err = _pool2(err, "sum") / 4 + step / 2
        elif st == "add":
            r = np.asarray(residual, np.float64)
            err = err + np.abs(r - dequantize(quantize(r, q.out_frac, q.output_format),
                                              q.out_frac))
        elif st == "upsize":
            err = _upsize(err)
    return err
