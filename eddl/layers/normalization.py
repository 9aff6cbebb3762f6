"""Normalization layers.

Batch, group and layer normalization, and EDDL's parameter-free per-sample normalizations
(Norm, NormMax, NormMinMax).

BatchNormalization normalizes each channel with the batch statistics in training mode and with
moving statistics in inference mode; the moving statistics are updated as
``moving = momentum * moving + (1 - momentum) * batch`` (EDDL's and Keras's convention; the
moving variance uses the unbiased batch variance). They are kept in ``layer.states``
(``[mean, variance]``), not among the trainable parameters.

Norm, NormMax and NormMinMax have no weights and compute their statistics over all the values
of each sample (every axis but the batch), as EDDL's layers of the same names do (EDDL accepts
only 2-D and 4-D tensors there; any rank is accepted here).
"""

import math

from .base import TRMODE, Layer
from .registry import register_layer

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization", "Norm", "NormMax",
           "NormMinMax"]


def _check_eps(eps, what):
    eps = float(eps)
    if not eps > 0 or not math.isfinite(eps):
        raise ValueError(f"{what}: epsilon must be a positive number, got {eps!r}")
    return eps


class _Normalizer(Layer):
    """A normalization layer: the output has the input's shape, of at least one axis."""

    _pyeddl_norm = True

    def compute_shape(self, s):
        if len(s) < 1:
            raise self.shape_error("needs at least a 1-D input")
        return s


@register_layer("BatchNormalization")
class BatchNormalization(_Normalizer):
    """Batch normalization over the batch and spatial axes of each channel.

    Inputs are ``C x *spatial`` or ``features``.

    Parameters
    ----------
    parent : Layer
    affine : bool
        Learn a per-channel scale (``bn_g``) and shift (``bn_b``).
    momentum : float
        ``moving = momentum * moving + (1 - momentum) * batch`` after each training batch.
    epsilon : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3]), True).shape
    (4, 8, 8)
    """

    prefix = "batchnorm"

    def __init__(self, parent, affine=True, momentum=0.9, epsilon=1e-5, name=""):
        self.affine = bool(affine)
        self.momentum = float(momentum)
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        self.epsilon = _check_eps(epsilon, "BatchNormalization")
        self.states = []
        super().__init__([parent], name)

    def param_specs(self):
        if not self.affine:
            return []
        c = self.shape[0]
        return [("bn_g", (c,), "ones"), ("bn_b", (c,), "zeros")]

    def setup(self, be, dtype):
        old = self._host(self.states) if self.states else None
        super().setup(be, dtype)
        c = self.shape[0]
        self.states = [be.zeros((c,), dtype), be.zeros((c,), dtype)]
        self.states[1][...] = 1
        if old is not None:
            for a, o in zip(self.states, old):
                a[...] = be.from_host(o)

    @property
    def state_names(self):
        return ["mean", "variance"]

    def _x3(self, a):
        return a.reshape(a.shape[0], self.shape[0], -1)

    def _vec(self, key):
        return self.buffer(key, (self.shape[0],))

    def forward(self):
        xp, norm = self.be.xp, self.be.norm
        x = self._input("xc")
        x3, y3 = self._x3(x), self._x3(self.output)
        mean, var = self.states
        if self.mode == TRMODE:
            bm, bv, inv = self._vec("mean"), self._vec("var"), self._vec("inv")
            norm.stats(x3, bm, bv, inv, self.epsilon)
            shift = self._vec("shift")
            xp.multiply(bm, inv, out=shift)
            xp.negative(shift, out=shift)
            # the normalized input is recomputed by the backward pass: one buffer for every
            # normalization layer of the model instead of one each
            xhat = self._x3(self.shared_buffer("bn_xhat", x.shape))
            norm.affine(x3, xhat, inv, shift)
            if self.affine:
                norm.affine(xhat, y3, self.params[0], self.params[1])
            else:
                y3[...] = xhat
            m = x3.shape[0] * x3.shape[2]
            mom = self.momentum
            mean *= mom
            mean += (1.0 - mom) * bm
            var *= mom
            var += ((1.0 - mom) * m / max(m - 1, 1)) * bv
        else:
            scale, shift = self._vec("scale"), self._vec("shift")
            scale[...] = 1.0 / xp.sqrt(var + self.epsilon)
            if self.affine:
                scale *= self.params[0]
            xp.multiply(mean, scale, out=shift)
            xp.negative(shift, out=shift)
            if self.affine:
                shift += self.params[1]
            norm.affine(x3, y3, scale, shift)

    def backward(self):
        norm = self.be.norm
        dy = self._x3(self.delta)
        out, acc = self.delta_target(0)
        dx = self._x3(out) if out is not None else None
        if self.mode != TRMODE:
            # inference statistics are constants: y is an affine map of x
            scale = self._buffers["scale"]
            zero = self._vec("zero")
            zero.fill(0.0)
            if dx is not None:
                if acc:
                    tmp = self._x3(self.buffer("dtmp", self.delta.shape))
                    norm.affine(dy, tmp, scale, zero)
                    dx += tmp
                else:
                    norm.affine(dy, dx, scale, zero)
            if self.affine and self.trainable:
                x3 = self._x3(self.parents[0].output)
                xhat = (x3 - self.states[0][:, None]) / self.be.xp.sqrt(self.states[1][:, None] + self.epsilon)
                self.gradients[0][...] = (dy * xhat).sum(axis=(0, 2))
                self.gradients[1][...] = dy.sum(axis=(0, 2))
            return
        gamma = self.params[0] if self.affine else self._ones()
        s1, s2 = self._vec("s1"), self._vec("s2")
        xhat = self._x3(self.shared_buffer("bn_xhat", self.delta.shape))
        norm.affine(self._x3(self._input("xc")), xhat, self._buffers["inv"], self._buffers["shift"])
        norm.backward(xhat, dy, gamma, self._buffers["inv"], dx, s1, s2, accumulate=acc)
        if self.affine and self.trainable:
            self.gradients[0][...] = s2
            self.gradients[1][...] = s1

    def _ones(self):
        ones = self._vec("ones")
        ones.fill(1.0)
        return ones


def _sample_norm_doc(name, formula, extra):
    # the three weight-free per-sample normalizations share their PyEDDL docstring
    return f"""Per-sample normalization without weights: {formula}, with statistics
    over all the values of each sample (every axis but the batch).{extra}

    Parameters
    ----------
    parent : Layer
        Any shape.
    epsilon : float
        Positive; keeps the denominator away from zero.
    name : str

    Returns
    -------
    Layer
        Same shape as ``parent``.

    Examples
    --------
    >>> import eddl
    >>> eddl.{name}(eddl.Input([3, 8, 8])).shape
    (3, 8, 8)
    """


class _SampleNorm(_Normalizer):
    """Normalization per sample and channel group (statistics never mix samples)."""

    groups = 1
    #: scale and shift are per channel (else they have the shape of the normalized axes)
    per_channel = False

    def __init__(self, parent, epsilon, affine, name):
        self.epsilon = _check_eps(epsilon, type(self).__name__)
        self.affine = bool(affine)
        super().__init__([parent], name)

    def compute_shape(self, s):
        s = super().compute_shape(s)
        if s[0] % self.groups:
            raise self.shape_error(f"groups={self.groups} must divide the {s[0]} channels")
        return s

    def _pshape(self):
        raise NotImplementedError

    def param_specs(self):
        if not self.affine:
            return []
        return [("bn_g", self._pshape(), "ones"), ("bn_b", self._pshape(), "zeros")]

    def _views(self, a):
        n = a.shape[0]
        return a.reshape(1, n * self.groups, -1)

    def _pview(self, n):
        # the view of a batch the parameters broadcast against: N x C x rest for per-channel
        # parameters, rows x parameter shape for parameters over the trailing axes
        return (n, self.shape[0], -1) if self.per_channel else (-1,) + self._pshape()

    def _bcast(self, p):
        if self.per_channel:
            return p.reshape(1, -1, 1)
        return p.reshape((1,) + p.shape)

    def forward(self):
        xp, norm = self.be.xp, self.be.norm
        x = self._input("xc")
        n = x.shape[0]
        g = n * self.groups
        mean, var, inv = (self.buffer(k, (g,)) for k in ("mean", "var", "inv"))
        norm.stats(self._views(x), mean, var, inv, self.epsilon)
        shift = self.buffer("shift", (g,))
        xp.multiply(mean, inv, out=shift)
        xp.negative(shift, out=shift)
        xhat = self.buffer("xhat", x.shape)
        norm.affine(self._views(x), self._views(xhat), inv, shift)
        if self.affine:
            shape3 = self._pview(n)
            y = self.output.reshape(shape3)
            xp.multiply(xhat.reshape(shape3), self._bcast(self.params[0]), out=y)
            y += self._bcast(self.params[1])
        else:
            self.output[...] = xhat

    def backward(self):
        xp, norm = self.be.xp, self.be.norm
        dy = self.delta
        n = dy.shape[0]
        xhat = self._buffers["xhat"]
        if self.affine:
            shape3 = self._pview(n)
            axes = (0, 2) if self.per_channel else 0
            if self.trainable:
                self.gradients[0][...] = (dy * xhat).reshape(shape3).sum(axis=axes).reshape(self._pshape())
                self.gradients[1][...] = dy.reshape(shape3).sum(axis=axes).reshape(self._pshape())
            dxhat = self.buffer("dxhat", dy.shape)
            xp.multiply(dy.reshape(shape3), self._bcast(self.params[0]), out=dxhat.reshape(shape3))
        else:
            dxhat = dy
        out, acc = self.delta_target(0)
        if out is None:
            return
        g = n * self.groups
        ones = self.buffer("ones", (g,))
        ones.fill(1.0)
        norm.backward(self._views(xhat), self._views(dxhat), ones, self._buffers["inv"],
                      self._views(out), self.buffer("s1", (g,)), self.buffer("s2", (g,)),
                      accumulate=acc)


@register_layer("GroupNormalization")
class GroupNormalization(_SampleNorm):
    """Normalization over ``groups`` groups of channels of each sample.

    Scale and shift are per channel.

    Parameters
    ----------
    parent : Layer
    groups : int
        Must divide the channels.
    epsilon : float
    affine : bool
    name : str

    Returns
    -------
    Layer
    """

    prefix = "groupnorm"

    def __init__(self, parent, groups, epsilon=1e-3, affine=True, name=""):
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"GroupNormalization: groups must be a positive int, got {groups!r}")
        self.groups = groups
        super().__init__(parent, epsilon, affine, name)

    per_channel = True

    def _pshape(self):
        return (self.shape[0],)


@register_layer("LayerNormalization")
class LayerNormalization(_SampleNorm):
    """Normalization over the axes of each sample from ``axis`` on, with element-wise scale and shift.

    By default (``axis=0``) over all values of each sample; ``axis=-1`` normalizes each
    vector of the last axis (a transformer's layer norm, ONNX ``LayerNormalization`` with
    ``axis=-1``). Scale and shift have the shape of the normalized axes.

    Parameters
    ----------
    parent : Layer
    affine : bool
    epsilon : float
    name : str
    axis : int
        First normalized axis of the sample (batch excluded).

    Returns
    -------
    Layer
    """

    prefix = "layernorm"

    def __init__(self, parent, affine=True, epsilon=1e-5, name="", axis=0):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"LayerNormalization: axis must be an int, got {axis!r}")
        self.axis = axis
        super().__init__(parent, epsilon, affine, name)

    def compute_shape(self, s):
        s = tuple(s)
        if not -len(s) <= self.axis < len(s):
            raise self.shape_error(f"axis {self.axis} out of range for a {len(s)}-D sample")
        self._axis = self.axis % len(s)
        # one normalization group per position of the leading axes
        self.groups = math.prod(s[:self._axis])
        return s

    def _pshape(self):
        return tuple(self.shape[self._axis:])


@register_layer("Norm", doc=_sample_norm_doc(
    "Norm", "``(x - mean) / sqrt(var + epsilon)``",
    " The variance is the biased one (divided by the number of values)."))
class Norm(_SampleNorm):
    """Standardize each sample: ``(x - mean) / sqrt(var + epsilon)``.

    The mean and the (biased) variance are those of all the sample's values; there is no scale
    or shift.
    """

    prefix = "norm"

    def __init__(self, parent, epsilon=1e-3, name=""):
        super().__init__(parent, epsilon, False, name)

    def _pshape(self):
        return tuple(self.shape)


class _ExtremaNorm(_Normalizer):
    """``(x - low) / (max - low + epsilon)`` per sample.

    ``low`` is the sample's minimum (``use_min``) or 0.

    The maximum and minimum are differentiated as selections of one element: the gradient
    reaching them goes to the first position holding the extreme value (a subgradient where
    several values tie).
    """

    use_min = False

    def __init__(self, parent, epsilon=1e-3, name=""):
        self.epsilon = _check_eps(epsilon, type(self).__name__)
        super().__init__([parent], name)

    def forward(self):
        xp = self.be.xp
        x = self.parents[0].output
        n = x.shape[0]
        x2 = x.reshape(n, -1)
        rows = xp.arange(n)
        self._imax = x2.argmax(axis=1)
        den = self.buffer("den", (n, 1))
        den[:, 0] = x2[rows, self._imax] + self.epsilon
        y2 = self.output.reshape(n, -1)
        if self.use_min:
            self._imin = x2.argmin(axis=1)
            low = self.buffer("low", (n, 1))
            low[:, 0] = x2[rows, self._imin]
            den -= low
            xp.subtract(x2, low, out=y2)
            y2 /= den
        else:
            xp.divide(x2, den, out=y2)

    def backward(self):
        xp = self.be.xp

        def write(out):
            n = out.shape[0]
            dy = self.delta.reshape(n, -1)
            y = self.output.reshape(n, -1)
            den = self._buffers["den"][:, 0]
            rows = xp.arange(n)
            # y = (x - low) / den: d/dmax = -sum(dy * y) / den, d/dlow = (sum(dy * y) - sum(dy)) / den
            s = xp.einsum("ij,ij->i", dy, y) / den
            dx = out.reshape(n, -1)
            xp.divide(dy, den[:, None], out=dx)
            dx[rows, self._imax] -= s
            if self.use_min:
                dx[rows, self._imin] += s - dy.sum(axis=1) / den
        self.put_delta(0, write)


@register_layer("NormMax", doc=_sample_norm_doc(
    "NormMax", "``x / (max + epsilon)``",
    " Meant for non-negative inputs. The gradient through the maximum goes to its first\n"
    "    position."))
class NormMax(_ExtremaNorm):
    """Divide each sample by its maximum: ``x / (max + epsilon)``.

    Meant for non-negative inputs: a maximum near ``-epsilon`` makes the result blow up, as in
    EDDL.
    """

    prefix = "normmax"


@register_layer("NormMinMax", doc=_sample_norm_doc(
    "NormMinMax", "``(x - min) / (max - min + epsilon)``",
    " The gradient through the maximum and the minimum goes to their first positions."))
class NormMinMax(_ExtremaNorm):
    """Rescale each sample to ``[0, 1)``: ``(x - min) / (max - min + epsilon)``."""

    prefix = "normminmax"
    use_min = True
