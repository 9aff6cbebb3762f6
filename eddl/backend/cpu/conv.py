"""Convolutions of the CPU backend: 1-D, 2-D and 3-D, strided, padded, dilated and grouped.

Arrays are channels-first: ``x`` is ``N x C x *spatial`` and the weights ``F x C/groups x
*kernel``, as in EDDL and PyTorch. Layers with large images and few channels run in
:mod:`._convtile`: tasks of one sample's output-pixel tile, unfolded into a cache-sized buffer
and multiplied at once (float32 by register-blocked kernels, float64 by BLAS); there the input
gradient of a stride-1 convolution is the convolution of the output gradient with the flipped,
transposed weights. Deeper layers (small images, many weights) and the input gradient of
strided convolutions (a strided transposed convolution's forward pass) use :mod:`._conv`'s
batch-wide im2col / col2im and BLAS GEMMs. 3x3 stride-1 convolutions with enough output
blocks (forward, weight gradient, and input gradient through the flipped weights) run as
Winograd's F(2x2, 3x3) in :mod:`._winograd`: 2.25 times fewer multiply-adds, at a relative
error of about 1e-6 in float32 instead of 1e-7. Workspaces are per thread, grow to the largest layer and are
then reused, so a training step allocates nothing once they are large enough.

``pad`` is the padding *before* each spatial axis; the padding after it is implied by the
output size (so asymmetric "same" padding needs no extra copy).
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _conv, _convtile, _winograd
from .blas_policy import blas_thread_hooks
from .workspace import workspace

__all__ = ["conv_forward", "conv_backward_data", "conv_backward_weights", "bias_add",
           "bias_grad", "channel_epilogue", "EPILOGUE_ACTIVATIONS", "out_size",
           "WORKSPACE_ELEMENTS"]

#: Whether 3x3 stride-1 convolutions may run as Winograd's F(2x2, 3x3) (:mod:`._winograd`);
#: False keeps every convolution on the direct GEMMs (bits as in earlier versions).
WINOGRAD = True
#: Winograd is taken from this many 2x2 output blocks (over the batch): its weight transform
#: costs as much as the GEMMs for one block, and few blocks make thin GEMMs
#: (benchmarks/train_cnn.py, ResNet-18's shapes: 784 blocks gain 1.4x, 49 lose 1.7x).
WINOGRAD_MIN_BLOCKS = 256
#: ... and from this output height and width: the transforms run along block rows, and rows of
#: fewer blocks than a vector's lanes cost more than the GEMMs save (7x7 and 10x10 outputs
#: lost up to 2x, 14x14 gained 1.3-2x on MNIST- and ResNet-sized layers).
WINOGRAD_MIN_SIZE = 14
#: Convolutions that the tiled kernels take keep them below this many input channels: with
#: few channels the GEMMs are too thin for the transforms to pay (U-Net's 16-channel level at
#: 128x128 ran 1.2x slower as Winograd, its 32-channel level 1.3x faster).
WINOGRAD_MIN_TILED_CHANNELS = 32
#: Winograd's per-thread workspace (transformed input and products of a chunk of blocks), in
#: elements, for the weight gradient: about the size of a core's L2 cache.
WINOGRAD_CHUNK_ELEMENTS = 1 << 19
#: ... and for the forward pass, whose GEMMs read the same transformed weights for every chunk:
#: half a core's L2 cache, so the chunk's input and products stay in it (10-25 % faster than
#: ``1 << 19`` on ResNet-18, MNIST and U-Net shapes, benchmarks/conv_kernels.py), though never
#: fewer blocks than 1/1024 of the weights (each chunk's GEMMs pack the transformed weights:
#: 256 x 256 channels lost 12 % at 16 blocks).
WINOGRAD_FORWARD_CHUNK_ELEMENTS = 1 << 17

#: Upper bound, in elements, of the unfolded-input workspace; batches whose unfolded input is
#: larger are processed in chunks of samples.
WORKSPACE_ELEMENTS = 1 << 24

#: How the GEMMs of a convolution use several threads: False splits their columns over the
#: kernel's OpenMP threads with BLAS kept single-threaded (one thread pool owns the cores);
#: True leaves one GEMM call to BLAS's own threads. Measured in benchmarks/train_cnn.py.
BLAS_THREADED_GEMM = False

#: Target size, in elements, of one thread's unfolded tile (``C/groups * K x tile width``):
#: small enough to stay in a core's L2 cache between the unfold and the GEMM that reads it.
TILE_ELEMENTS = 1 << 16
#: Narrowest tile, in output pixels (a GEMM this narrow is still efficient); the weight
#: gradient's GEMMs sum over the tile, so they get wider tiles.
MIN_TILE = 64
MIN_TILE_WGRAD = 256
#: The tiled kernels take convolutions with at least this many output pixels per sample and at
#: most this many weights (512 KiB of float32, which stays in cache while the tiles stream past
#: it); deeper layers (small images, many channels) keep the batch-wide GEMMs of :mod:`._conv`,
#: which were as fast or faster there (VGG and ResNet shapes, benchmarks/train_cnn.py).
TILED_MIN_PIXELS = 256
TILED_MAX_WEIGHTS = 1 << 17
#: The input gradient goes through the flipped weights only when the input has at least this
#: many channels per group: with fewer (an RGB input) its GEMMs are too thin and col2im wins.
FLIP_MIN_CHANNELS = 8


class _BlasThreads:
    """Set the thread count of SciPy's BLAS for the duration of a kernel call, then restore it."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.hooks = blas_thread_hooks()
        self.prev = None
        if self.hooks is not None:
            self.prev = self.hooks[1]()
            if self.prev != self.n:
                self.hooks[0](self.n)
        return self

    def __exit__(self, *exc):
        if self.prev not in (None, self.n):
            self.hooks[0](self.prev)


def out_size(n, k, s, p_before, p_after, d):
    """Output length of a convolution or pooling along one axis (may be <= 0 when invalid)."""
    return (n + p_before + p_after - d * (k - 1) - 1) // s + 1


def _as5(a, nsp, what):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(a).__name__}")
    if a.ndim != nsp + 2:
        raise ValueError(f"{what} must be {nsp + 2}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    return a.reshape(a.shape[:2] + (1,) * (3 - nsp) + a.shape[2:])


def _geometry(nsp, stride, pad, dil):
    def three(v, fill):
        v = tuple(int(t) for t in v)
        if len(v) != nsp:
            raise ValueError(f"expected {nsp} values, got {v}")
        return (fill,) * (3 - nsp) + v
    return three(stride, 1), three(pad, 0), three(dil, 1)


def _check(x, w, y, groups, dtype_of):
    dt = dtype_of.dtype
    if dt not in (np.float32, np.float64):
        raise TypeError(f"conv: only float32/float64 are supported, got {dt}")
    for a, n in ((x, "x"), (w, "w"), (y, "y")):
        if a.dtype != dt:
            raise TypeError(f"conv: {n} has dtype {a.dtype}, expected {dt}")
    if w.shape[0] != y.shape[1] or w.shape[1] * groups != x.shape[1]:
        raise ValueError(f"conv: weights {w.shape} do not map {x.shape[1]} to {y.shape[1]} "
                         f"channels in {groups} groups")


def _sizes(x5, y5, w5):
    k = int(np.prod(w5.shape[2:]))
    per_col = x5.shape[1] * k * int(np.prod(y5.shape[2:]))
    per_bg = y5.shape[1] * int(np.prod(y5.shape[2:]))
    chunk = max(1, min(x5.shape[0], WORKSPACE_ELEMENTS // max(per_col, 1)))
    return per_col * chunk, per_bg * chunk


def _validate(x, w, y, groups):
    """Check every array of a convolution ``y = conv(x, w)``; return its number of spatial axes."""
    nsp = x.ndim - 2 if isinstance(x, np.ndarray) else 0
    if not 1 <= nsp <= 3:
        raise ValueError(f"conv: expects 1 to 3 spatial axes, got input shape {np.shape(x)}")
    for a, what in ((x, "x"), (w, "w"), (y, "y")):
        _as5(a, nsp, what)
    _check(x, w, y, groups, x)
    return nsp


def _run(fn, x, w, y, stride, pad, dil, groups, acc, wrt):
    nsp = _validate(x, w, y, groups)
    x5, w5, y5 = _as5(x, nsp, "x"), _as5(w, nsp, "w"), _as5(y, nsp, "y")
    s3, p3, d3 = _geometry(nsp, stride, pad, dil)
    ncol, nbg = _sizes(x5, y5, w5)
    col = workspace("col", ncol, x.dtype)
    bg = workspace("bg", nbg, x.dtype)
    nt = get_num_threads()
    gnt = 1 if BLAS_THREADED_GEMM else nt
    with _BlasThreads(nt if BLAS_THREADED_GEMM else 1):
        _dispatch(fn, x5, w5, y5, s3, p3, d3, groups, col, bg, acc, nt, gnt, wrt)


def _dispatch(fn, x5, w5, y5, s3, p3, d3, groups, col, bg, acc, nt, gnt, wrt):
    if wrt == "y":
        fn(x5, w5, y5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)
    elif wrt == "x":
        fn(y5, w5, x5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)
    else:
        fn(x5, y5, w5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)


def _tiled(out_spatial, w):
    """Whether a convolution with these output sizes and weights takes the tiled kernels.

    It does when tiles are wide enough and the weights stay in cache while every tile
    streams past them.
    """
    return int(np.prod(out_spatial)) >= TILED_MIN_PIXELS and w.size <= TILED_MAX_WEIGHTS


def _flipped_padding(dy, w, dx, stride, pad, dil):
    """Return the padding of the stride-1 convolution of ``dy`` giving the input gradient.

    None when the convolution is strided or the flipped padding would be negative.
    """
    nsp = dx.ndim - 2
    s3, p3, d3 = _geometry(nsp, stride, pad, dil)
    if any(v != 1 for v in s3):
        return None
    out = []
    for n, o, k, p, d in zip(dx.shape[2:], dy.shape[2:], w.shape[2:], p3[3 - nsp:], d3[3 - nsp:]):
        before = d * (k - 1) - p
        after = n - o + p  # the flipped convolution's implied padding after the axis
        if before < 0 or after < 0:
            return None
        out.append(before)
    return tuple(out)


def _tile_width(n, spatial, ck, nt, minimum):
    """Output pixels per task: a cache-sized tile.

    The tile is split further when the batch gives fewer tasks than threads (batch 1 still
    uses every core).
    """
    L = int(np.prod(spatial))
    tw = min(L, max(TILE_ELEMENTS // max(ck, 1), minimum))
    ntile = -(-L // tw)
    if n * ntile < 2 * nt:
        ntile = max(ntile, min(-(-2 * nt // max(n, 1)), -(-L // 16)))
    # whole 16-pixel blocks for the float32 kernels, except in the last tile
    return min(L, (-(-L // ntile) + 15) // 16 * 16)


def _run_tiled(x, w, y, stride, pad, dil, groups, acc, wgrad):
    """``y (=|+=) conv(x, w)``, or ``w (=|+=)`` its weight gradient when ``wgrad``."""
    nsp = _validate(x, w, y, groups)
    x5, w5, y5 = _as5(x, nsp, "x"), _as5(w, nsp, "w"), _as5(y, nsp, "y")
    s3, p3, d3 = _geometry(nsp, stride, pad, dil)
    nt = max(1, int(get_num_threads()))
    ck = (x.shape[1] // max(int(groups), 1)) * int(np.prod(w.shape[2:]))
    tw = _tile_width(x.shape[0], y.shape[2:], ck, nt, MIN_TILE_WGRAD if wgrad else MIN_TILE)
    fg = y.shape[1] // max(int(groups), 1)
    col = workspace("tile", nt * _convtile.scratch_size(ck, tw, fg), x.dtype)
    with _BlasThreads(1):
        if wgrad:
            part = workspace("wpart", nt * w.size, x.dtype)
            _convtile.weight_grad_tiled(x5, y5, w5, s3, p3, d3, int(groups), col, part, tw,
                                        bool(acc), nt)
        else:
            _convtile.conv_tiled(x5, w5, y5, s3, p3, d3, int(groups), col, tw, bool(acc), nt)


def _winograd_blocks(x, w, y, stride, dil, groups):
    """Return the number of 2x2 output blocks if Winograd's F(2x2, 3x3) is to compute ``y``, else 0."""
    if (not WINOGRAD or x.ndim != 4 or w.shape[2:] != (3, 3) or int(groups) != 1
            or any(int(v) != 1 for v in tuple(stride) + tuple(dil))
            or x.shape[1] < 4 or y.shape[1] < 4 or min(y.shape[2:]) < WINOGRAD_MIN_SIZE
            or (x.shape[1] < WINOGRAD_MIN_TILED_CHANNELS and _tiled(y.shape[2:], w))):
        return 0
    blocks = y.shape[0] * ((y.shape[2] + 1) // 2) * ((y.shape[3] + 1) // 2)
    return blocks if blocks >= WINOGRAD_MIN_BLOCKS else 0


def _run_winograd(x, w, y, pad, blocks, acc, wgrad=False):
    """``y (=|+=) conv(x, w)``, or ``w (=|+=)`` its weight gradient for ``y`` when ``wgrad``."""
    nt = max(1, int(get_num_threads()))
    c, f = x.shape[1], y.shape[1]
    # chunks that fit the cache, in a number that is a multiple of the threads (every thread
    # gets as many), rounded up to whole 16-block multiples
    if wgrad:
        cap = max(16, WINOGRAD_CHUNK_ELEMENTS // (16 * (c + f)))
    else:
        cap = max(16, WINOGRAD_FORWARD_CHUNK_ELEMENTS // (16 * (c + f)), c * f // 1024)
    per_thread = -(-blocks // (nt * cap))
    chunk = -(-blocks // (per_thread * nt))
    chunk = max(16, -(-chunk // 16) * 16)
    size = _winograd.transformed_size(f, c)
    U = workspace("wino_u", nt * size if wgrad else size, x.dtype)
    work = workspace("wino_work", nt * _winograd.work_size(f, c, chunk, y.shape[3]), x.dtype)
    fn = _winograd.weight_grad3x3 if wgrad else _winograd.conv3x3
    with _BlasThreads(1):
        fn(_as5(x, 2, "x"), _as5(y, 2, "y") if wgrad else _as5(w, 2, "w"),
           _as5(w, 2, "w") if wgrad else _as5(y, 2, "y"), (0, int(pad[0]), int(pad[1])), U,
           work, chunk, bool(acc), nt)


def _conv_any(x, w, y, stride, pad, dil, groups, acc):
    """``y (=|+=) conv(x, w)`` by whichever kernel suits the shapes (arrays validated)."""
    blocks = _winograd_blocks(x, w, y, stride, dil, groups)
    if blocks:
        _run_winograd(x, w, y, pad, blocks, acc)
    elif _tiled(y.shape[2:], w):
        _run_tiled(x, w, y, stride, pad, dil, groups, acc, False)
    else:
        _run(_conv.im2col_gemm, x, w, y, stride, pad, dil, groups, acc, "y")


def conv_forward(x, w, out, stride, pad, dilation, groups=1, accumulate=False):
    """``out (=|+=) conv(x, w)`` (cross-correlation, as in every DL framework).

    Parameters
    ----------
    x : numpy.ndarray
        ``N x C x *spatial`` (1 to 3 spatial axes), C-contiguous float32/float64.
    w : numpy.ndarray
        ``F x C/groups x *kernel``.
    out : numpy.ndarray
        ``N x F x *out_spatial``; written (or added to when ``accumulate``).
    stride, pad, dilation : sequence of int
        One value per spatial axis; ``pad`` is the zero padding before each axis.
    groups : int
    accumulate : bool

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    _validate(x, w, out, groups)
    _conv_any(x, w, out, stride, pad, dilation, groups, accumulate)
    return out


def conv_backward_data(dy, w, dx, stride, pad, dilation, groups=1, accumulate=False):
    """``dx (=|+=)`` the gradient of :func:`conv_forward` with respect to ``x``.

    This is also the forward pass of a transposed convolution (``dy`` its input, ``dx`` its
    output). Parameters as in :func:`conv_forward`.

    Returns
    -------
    numpy.ndarray
        ``dx``.
    """
    nsp = _validate(dx, w, dy, groups)
    flipped = None
    if w.shape[1] >= FLIP_MIN_CHANNELS and (
            _tiled(dx.shape[2:], w) or _winograd_blocks(dy, w, dx, stride, dilation, groups)):
        flipped = _flipped_padding(dy, w, dx, stride, pad, dilation)
    if flipped is None:
        _run(_conv.gemm_col2im, dx, w, dy, stride, pad, dilation, groups, accumulate, "x")
        return dx
    wf = workspace("wflip", w.size, w.dtype)[:w.size].reshape(
        (dx.shape[1], w.shape[0] // groups) + w.shape[2:])
    _convtile.flip_weights(_as5(w, nsp, "w"), _as5(wf, nsp, "w"), int(groups))
    _conv_any(dy, wf, dx, (1,) * nsp, flipped, dilation, groups, accumulate)
    return dx


def conv_backward_weights(x, dy, dw, stride, pad, dilation, groups=1, accumulate=False):
    """``dw (=|+=)`` the gradient of :func:`conv_forward` with respect to ``w``.

    Returns
    -------
    numpy.ndarray
        ``dw``.
    """
    _validate(x, dw, dy, groups)
    blocks = _winograd_blocks(x, dw, dy, stride, dilation, groups)
    if blocks:
        _run_winograd(x, dw, dy, pad, blocks, accumulate, wgrad=True)
    elif _tiled(dy.shape[2:], dw):
        _run_tiled(x, dw, dy, stride, pad, dilation, groups, accumulate, True)
    else:
        _run(_conv.weight_grad, x, dw, dy, stride, pad, dilation, groups, accumulate, "w")
    return dw


def _as3(a, what):
    if not isinstance(a, np.ndarray) or a.ndim < 2 or not a.flags.c_contiguous:
        raise ValueError(f"{what} must be a C-contiguous array of rank >= 2")
    return a.reshape(a.shape[0], a.shape[1], -1)


def bias_add(y, bias):
    """``y[:, c, ...] += bias[c]`` in place.

    Returns
    -------
    numpy.ndarray
        ``y``.
    """
    if bias.dtype != y.dtype:
        raise TypeError(f"bias_add: bias {bias.dtype} and y {y.dtype} differ")
    _conv.channel_bias(_as3(y, "y"), bias, get_num_threads())
    return y


def bias_grad(dy, out, accumulate=False):
    """``out[c] (=|+=) dy[:, c, ...].sum()``: the gradient of a per-channel bias.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    if out.dtype != dy.dtype:
        raise TypeError(f"bias_grad: out {out.dtype} and dy {dy.dtype} differ")
    _conv.channel_sum(_as3(dy, "dy"), out, bool(accumulate), get_num_threads())
    return out


#: activations a fused epilogue applies, by the code of :func:`._conv.channel_epilogue`
EPILOGUE_ACTIVATIONS = {"none": 0, "relu": 1, "leaky_relu": 2}


def _same_memory(a, b):
    return (a.ctypes.data == b.ctypes.data and a.shape == b.shape and a.strides == b.strides)


def channel_epilogue(x, out, scale=None, shift=None, residual=None, activation="none", alpha=0.0):
    """``out = act(x * scale[c] + shift[c] + residual)`` over channel axis 1, in one pass.

    Parameters
    ----------
    x, out : numpy.ndarray
        ``N x C x ...``, C-contiguous, same shape and dtype; ``out`` may be ``x``.
    scale, shift : numpy.ndarray, optional
        ``C`` values each (none: 1 and 0).
    residual : numpy.ndarray, optional
        Shaped like ``out``; it may be ``out`` itself but not overlap it partly.
    activation : {"none", "relu", "leaky_relu"}
    alpha : float
        Slope of ``leaky_relu`` below zero.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    code = EPILOGUE_ACTIVATIONS.get(activation)
    if code is None:
        raise ValueError(f"channel_epilogue: activation must be one of "
                         f"{sorted(EPILOGUE_ACTIVATIONS)}, got {activation!r}")
    if out.shape != x.shape or out.dtype != x.dtype:
        raise ValueError(f"channel_epilogue: out {out.shape} {out.dtype} does not match x "
                         f"{x.shape} {x.dtype}")
    arrays = [(a, n) for a, n in ((scale, "scale"), (shift, "shift"), (residual, "residual"))
              if a is not None]
    for a, n in arrays:
        if not isinstance(a, np.ndarray) or a.dtype != x.dtype or not a.flags.c_contiguous:
            raise TypeError(f"channel_epilogue: {n} must be a C-contiguous {x.dtype} array")
    if residual is not None:
        if residual.shape != out.shape:
            raise ValueError(f"channel_epilogue: residual {residual.shape} differs from out {out.shape}")
        if not _same_memory(residual, out) and np.shares_memory(residual, out):
            raise ValueError("channel_epilogue: residual overlaps out partly")
        residual = _as3(residual, "residual")
    if not _same_memory(x, out) and np.shares_memory(x, out):
        raise ValueError("channel_epilogue: x overlaps out partly")
    _conv.channel_epilogue(_as3(x, "x"), _as3(out, "out"), scale, shift, residual, code,
                           float(alpha), get_num_threads())
    return out
