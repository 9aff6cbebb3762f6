"""Core layers: Input, Dense, Dropout."""

from .base import TRMODE, Layer
from .registry import register_layer

__all__ = ["Input", "Dense", "Dropout", "as_shape"]


def as_shape(shape, what):
    """Validate a user-given shape (list/tuple of positive ints) and return it as a tuple."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = [shape]
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{what}: shape must be a list of ints, got {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"{what}: shape must hold positive ints, got {list(dims)}")
    return dims


@register_layer("Input")
class Input(Layer):
    """Input layer for samples of ``shape`` (without the batch dimension).

    The model copies each batch into it.

    Parameters
    ----------
    shape : list of int
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Input([784]).shape
    (784,)
    """

    prefix = "input"
    is_input = True

    def __init__(self, shape, name=""):
        self._given = as_shape(shape, "Input")
        super().__init__([], name)

    def compute_shape(self):
        return self._given

    def forward(self):
        pass

    def backward(self):
        pass


@register_layer("Dense")
class Dense(Layer):
    """Fully connected layer with ``ndim`` units over the last axis.

    It computes ``y = x W + b`` (``W`` is ``in x ndim``).

    Parameters
    ----------
    parent : Layer
    ndim : int
        Number of output units.
    use_bias : bool
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Dense(eddl.Input([784]), 10).shape
    (10,)
    """

    prefix = "dense"

    def __init__(self, parent, ndim, use_bias=True, name=""):
        if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 1:
            raise ValueError(f"Dense: ndim (units) must be a positive int, got {ndim!r}")
        self.units = ndim
        self.use_bias = bool(use_bias)
        super().__init__(self._parent_list(parent), name)

    def compute_shape(self, s):
        if len(s) < 1:
            raise self.shape_error("needs at least a 1-D input")
        return s[:-1] + (self.units,)

    def param_specs(self):
        specs = [("W", (self.parents[0].shape[-1], self.units), "glorot_uniform")]
        if self.use_bias:
            specs.append(("bias", (self.units,), "zeros"))
        return specs

    def _flat(self, a):
        return a.reshape(-1, a.shape[-1])

    def forward(self):
        x = self._flat(self.parents[0].output)
        y = self._flat(self.output)
        if self.use_bias:
            # out = x W + out, with out pre-filled with the bias: no extra pass over y
            y[...] = self.params[1]
            self.be.gemm(x, self.params[0], out=y, beta=1.0)
        else:
            self.be.gemm(x, self.params[0], out=y)

    def backward(self):
        dy = self._flat(self.delta)
        x = self._flat(self.parents[0].output)
        if self.trainable:
            self.be.gemm(x, dy, out=self.gradients[0], trans_a=True)
            if self.use_bias:
                self.be.nn.bias_grad(dy, self.gradients[1])
        out, acc = self.delta_target(0)
        if out is not None:
            self.be.gemm(dy, self.params[0], out=self._flat(out), trans_b=True,
                         beta=1.0 if acc else 0.0)


@register_layer("Dropout")
class Dropout(Layer):
    """Dropout of a fraction ``rate`` of the values in training mode (``iw``: inverted scaling).

    With ``iw`` (inverted weighting) the kept values are scaled by ``1 / (1 - rate)`` during
    training and inference is the identity; without it training keeps values unscaled and
    inference multiplies by ``1 - rate`` (EDDL's two conventions).

    Parameters
    ----------
    parent : Layer
    rate : float
    iw : bool
    name : str

    Returns
    -------
    Layer
    """

    prefix = "dropout"

    def __init__(self, parent, rate, iw=True, name=""):
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.iw = bool(iw)
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s

    def forward(self):
        x = self.parents[0].output
        xp = self.be.xp
        mask = self.buffer("mask", x.shape)
        if self.mode == TRMODE and self.rate > 0:
            keep = 1.0 - self.rate
            mask[...] = self.net.rng.random(x.shape) >= self.rate
            if self.iw:
                mask *= 1.0 / keep
        else:
            mask.fill(1.0 if self.iw or self.mode == TRMODE else 1.0 - self.rate)
        xp.multiply(x, mask, out=self.output)

    def backward(self):
        mask = self._buffers["mask"]
        self.put_delta(0, lambda out: self.be.xp.multiply(self.delta, mask, out=out))
