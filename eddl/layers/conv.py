"""Convolution layers: Conv1D/2D/3D (strided, padded, dilated, grouped) and ConvT2D/3D.

Layouts are channels-first as in EDDL: inputs ``C x *spatial`` (batch excluded), weights
``K`` of shape ``filters x C/groups x *kernel`` (transposed convolutions: ``C x filters/groups
x *kernel``, as in PyTorch and ONNX), and an optional ``bias`` of ``filters`` values.
"""

from .base import Layer
from .registry import register_factory, register_layer

__all__ = ["Conv", "ConvT", "int_tuple", "resolve_padding"]


def int_tuple(v, n, what, layer, minimum=1):
    """``v`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints ``>= minimum``."""
    if isinstance(v, bool):
        raise TypeError(f"{layer}: {what} must be an int or a list of {n} ints, got {v!r}")
    if isinstance(v, int):
        v = [v] * n
    try:
        t = tuple(v)
    except TypeError:
        raise TypeError(f"{layer}: {what} must be an int or a list of {n} ints, got {v!r}") from None
    if len(t) != n or any(isinstance(x, bool) or not isinstance(x, int) for x in t):
        raise ValueError(f"{layer}: {what} must be {n} ints, got {list(t)}")
    if any(x < minimum for x in t):
        raise ValueError(f"{layer}: {what} must be >= {minimum}, got {list(t)}")
    return t


def _same(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, in_sizes, kernel, strides, dilation, layer):
    """Per-axis ``(before, after)`` padding from a PyEDDL padding specification.

    ``padding`` is ``"same"`` (output ``ceil(n / stride)``, the extra pixel after, as in
    TensorFlow and EDDL), ``"valid"``/``"none"`` (no padding), a comma-separated list of those
    per axis (``"same,none"``), an int, a list of one int per axis (symmetric), or a list of
    ``2 * ndim`` ints ``[before_0, after_0, before_1, after_1, ...]`` (EDDL's ``top, bottom,
    left, right`` order in 2-D).
    """
    n = len(in_sizes)
    if isinstance(padding, str):
        words = [w.strip().lower() for w in padding.split(",")]
        if len(words) == 1:
            words = words * n
        if len(words) != n:
            raise ValueError(f"{layer}: padding {padding!r} names {len(words)} axes, input has {n}")
        out = []
        for w, size, k, s, d in zip(words, in_sizes, kernel, strides, dilation):
            if w == "same":
                out.append(_same(size, k, s, d))
            elif w in ("valid", "none", "zeros"):
                out.append((0, 0))
            else:
                raise ValueError(f"{layer}: unknown padding {w!r}; use 'same', 'valid'/'none', or ints")
        return tuple(out)
    if isinstance(padding, bool):
        raise TypeError(f"{layer}: padding must be a string or ints, got {padding!r}")
    if isinstance(padding, int):
        padding = [padding] * n
    p = list(padding)
    if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in p):
        raise ValueError(f"{layer}: explicit padding must be non-negative ints, got {p}")
    if len(p) == n:
        return tuple((x, x) for x in p)
    if len(p) == 2 * n:
        return tuple((p[2 * i], p[2 * i + 1]) for i in range(n))
    raise ValueError(f"{layer}: padding needs {n} or {2 * n} ints for {n} spatial axes, got {p}")


class _ConvBase(Layer):
    nsp = 2
    transposed = False
    # backend kernels of the forward pass and of the input gradient (ConvT swaps them)
    _forward_kernel, _data_kernel = "conv_forward", "conv_backward_data"

    def __init__(self, parent, filters, kernel_size, strides=1, padding="same", use_bias=True,
                 groups=1, dilation_rate=1, name="", output_padding=0):
        what = f"{type(self).__name__}({name or '?'})"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{what}: filters must be a positive int, got {filters!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{what}: groups must be a positive int, got {groups!r}")
        self.filters = filters
        self.kernel_size = int_tuple(kernel_size, self.nsp, "kernel_size", what)
        self.strides = int_tuple(strides, self.nsp, "strides", what)
        self.dilation_rate = int_tuple(dilation_rate, self.nsp, "dilation_rate", what)
        self.output_padding = int_tuple(output_padding, self.nsp, "output_padding", what, 0)
        self.padding_spec = padding
        self.use_bias = bool(use_bias)
        self.groups = groups
        super().__init__(self._parent_list(parent), name)

    def compute_shape(self, s):
        if len(s) != self.nsp + 1:
            raise self.rank_error(s, f"a {self.nsp + 1}-D input (channels x {self.nsp} "
                                     f"spatial axes)", self.SPATIAL_EXAMPLES[self.nsp])
        c = s[0]
        if c % self.groups or self.filters % self.groups:
            raise self.shape_error(f"groups={self.groups} must divide the input channels {c} "
                                   f"and the filters {self.filters}")
        self.in_channels = c
        spatial = s[1:]
        if self.transposed:
            out = self._transposed_shape(spatial)
        else:
            self.pads = resolve_padding(self.padding_spec, spatial, self.kernel_size, self.strides,
                                        self.dilation_rate, self.name or type(self).__name__)
            out = tuple((n + pb + pa - d * (k - 1) - 1) // st + 1 for n, (pb, pa), k, st, d
                        in zip(spatial, self.pads, self.kernel_size, self.strides, self.dilation_rate))
        if any(o < 1 for o in out):
            raise self.shape_error(f"kernel {list(self.kernel_size)}, strides {list(self.strides)}, "
                                   f"dilation {list(self.dilation_rate)} and padding "
                                   f"{[list(p) for p in self.pads]} give output size {list(out)}")
        return (self.filters,) + out

    def _transposed_shape(self, spatial):
        spec = self.padding_spec
        if isinstance(spec, str):
            words = [w.strip().lower() for w in spec.split(",")]
            words = words * len(spatial) if len(words) == 1 else words
            if len(words) != len(spatial):
                raise self.shape_error(f"padding {spec!r} names {len(words)} axes")
        else:
            words = resolve_padding(spec, spatial, self.kernel_size, self.strides,
                                    self.dilation_rate, self.name)
        pads, out = [], []
        for n, k, st, d, op, w in zip(spatial, self.kernel_size, self.strides, self.dilation_rate,
                                      self.output_padding, words):
            full = (n - 1) * st + d * (k - 1) + 1
            if w == "same":
                # output n * stride; a too-small full extent is completed by output padding
                total = max(full - n * st, 0)
                pads.append((total // 2, total - total // 2))
                out.append(n * st)
                continue
            if isinstance(w, str):
                if w not in ("valid", "none", "zeros"):
                    raise self.shape_error(f"unknown padding {w!r}")
                w = (0, 0)
            pads.append(tuple(w))
            out.append(full - w[0] - w[1] + op)
        self.pads = tuple(pads)
        return tuple(out)

    @property
    def pad_before(self):
        return tuple(p[0] for p in self.pads)

    def param_specs(self):
        c = self.in_channels
        if self.transposed:
            kshape = (c, self.filters // self.groups) + self.kernel_size
        else:
            kshape = (self.filters, c // self.groups) + self.kernel_size
        specs = [("K", kshape, "glorot_uniform")]
        if self.use_bias:
            specs.append(("bias", (self.filters,), "zeros"))
        return specs

    def _geo(self):
        return self.strides, self.pad_before, self.dilation_rate, self.groups

    def forward(self):
        conv = self.be.conv
        getattr(conv, self._forward_kernel)(self._input(), self.params[0], self.output, *self._geo())
        if self.use_bias:
            conv.bias_add(self.output, self.params[1])

    def backward(self):
        conv = self.be.conv
        dy = self.delta
        if self.trainable:
            # the weights map the convolution's input side to its output side, which for a
            # transposed convolution are this layer's output and input
            x = self._input()
            ins, outs = (dy, x) if self.transposed else (x, dy)
            conv.conv_backward_weights(ins, outs, self.gradients[0], *self._geo())
            if self.use_bias:
                conv.bias_grad(dy, self.gradients[1])
        out, acc = self.delta_target(0)
        if out is not None:
            getattr(conv, self._data_kernel)(dy, self.params[0], out, *self._geo(), accumulate=acc)


class Conv(_ConvBase):
    """N-D convolution (cross-correlation) of a channels-first input; see :func:`eddl.Conv2D`."""

    prefix = "conv"


class ConvT(_ConvBase):
    """N-D transposed convolution (the adjoint of :class:`Conv` in its input)."""

    prefix = "convt"
    transposed = True
    _forward_kernel, _data_kernel = "conv_backward_data", "conv_forward"


def _variant(base, nsp, prefix):
    cls = type(f"{base.__name__}{nsp}D", (base,), {"nsp": nsp, "prefix": f"{prefix}{nsp}d"})
    cls.__doc__ = f"{nsp}-D {base.__doc__[5:]}"
    return cls


Conv1D = _variant(Conv, 1, "conv")
Conv2D = _variant(Conv, 2, "conv")
Conv3D = _variant(Conv, 3, "conv")
ConvT1D = _variant(ConvT, 1, "convt")
ConvT2D = _variant(ConvT, 2, "convt")
ConvT3D = _variant(ConvT, 3, "convt")
__all__ += ["Conv1D", "Conv2D", "Conv3D", "ConvT1D", "ConvT2D", "ConvT3D"]


# --- PyEDDL names ------------------------------------------------------------------------------

def _conv_doc(cls, nsp):
    kind = "transposed convolution" if cls.transposed else "convolution"
    return f"""{nsp}-D {kind} of a channels-first input (``C x {'x'.join('DHW'[3 - nsp:])}``).

    Parameters
    ----------
    parent : Layer
    filters : int
        Number of output channels.
    kernel_size : int or list of int
        {nsp} values (an int is used for every axis).
    strides : int or list of int
    padding : str or list of int
        ``"same"`` (output ``ceil(n / stride)``; extra padding after), ``"valid"``/``"none"``,
        per-axis strings such as ``"same,none"``, an int, {nsp} ints (symmetric), or {2 * nsp}
        ints ``[before_0, after_0, ...]``.
    use_bias : bool
    groups : int
        Channel groups; must divide the input channels and ``filters``.
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer

    Raises
    ------
    ValueError
        At construction, when the output would be empty, ``groups`` does not divide the
        channels, or the input rank is wrong; the message names the layer and the shapes.
    """


def _conv_params(nsp):
    ones = [1] * nsp
    return (f"parent, filters, kernel_size, strides={ones}, padding='same', use_bias=True, "
            f"groups=1, dilation_rate={ones}, name=''")


for _name, _cls in [("Conv1D", Conv1D), ("Conv2D", Conv2D), ("Conv3D", Conv3D), ("Conv", Conv2D),
                    ("ConvT2D", ConvT2D), ("ConvT3D", ConvT3D)]:
    register_factory(_name, _cls, params=_conv_params(_cls.nsp), doc=_conv_doc(_cls, _cls.nsp))
register_layer()(ConvT1D)

for _name in ("PointwiseConv2D", "PointwiseConv"):
    register_factory(_name, Conv2D, params="parent, filters, strides=[1, 1], use_bias=True, groups=1, "
                                           "dilation_rate=[1, 1], name=''",
                     fixed={"kernel_size": 1, "padding": "valid"}, doc="""1x1 convolution (channel mixing) with ``filters`` outputs.

    Parameters
    ----------
    parent : Layer
    filters : int
    strides : int or list of int
    use_bias : bool
    groups : int
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer
    """)
