"""Fused inference layers: a convolution, Dense or normalization layer with what follows it.

:func:`eddl.optimize_for_inference` makes them from the chains it finds: ``Conv [-> BN]
[-> Add] [-> ReLU / LeakyReLU]`` (:class:`FusedConv`), the same after a Dense layer on 1-D
samples (:class:`FusedDense`), and ``BN [-> Add] [-> ReLU / LeakyReLU]`` where no such layer
precedes the normalization (:class:`FusedAffine`). Each computes in its main operation and
one pass over the output (:func:`eddl.backend.contract.Conv.channel_epilogue`) what the chain
computed in three to five passes, with the normalization folded into the weights and the
bias. They run inference only.
"""

from .base import Layer
from .conv import Conv
from .core import Dense
from .registry import register_layer

__all__ = ["FusedAffine", "FusedConv", "FusedDense"]


class _Fused:
    """What a fused layer adds to its base layer: the residual input and the activation."""

    def _fused_options(self, layers, residual, activation, alpha):
        kind = type(self).__name__
        if activation not in ("none", "relu", "leaky_relu"):
            raise ValueError(f"{kind}: activation must be 'none', 'relu' or 'leaky_relu', "
                             f"got {activation!r}")
        layers = list(layers)
        self.residual = bool(residual)
        if len(layers) != 1 + self.residual:
            raise ValueError(f"{kind}: takes {1 + self.residual} input layer(s) with "
                             f"residual={self.residual}, got {len(layers)}")
        self.activation, self.alpha = activation, float(alpha)
        return layers

    def _parent_list(self, parent):
        return parent

    def _check_residual(self, out, residual):
        if residual and tuple(residual[0]) != out:
            raise self.shape_error(f"the residual must be {list(out)}, got {list(residual[0])}")
        return out

    def _epilogue(self, shift, x=None, scale=None):
        """Compute ``output = act(x * scale + shift + residual)`` in one pass.

        ``x`` is the output itself by default; ``scale`` and ``shift`` may be None.
        """
        res = self._input("res", 1) if self.residual else None
        y = self.output
        if x is None and shift is None and res is None and self.activation == "none":
            return
        self.be.conv.channel_epilogue(y if x is None else x, y, scale, shift, res,
                                      self.activation, self.alpha)

    def backward(self):
        raise RuntimeError(f"{type(self).__name__} layer {self.name!r}: fused layers run "
                           "inference only; train the original model and call "
                           "eddl.optimize_for_inference again")


@register_layer()
class FusedConv(_Fused, Conv):
    """A convolution whose output goes through ``act(y + bias + residual)`` in one pass.

    Parameters
    ----------
    layers : list of Layer
        The input, and with ``residual`` the layer whose output is added before the activation.
    filters : int
    kernel_size : list of int
        One size per spatial axis (1 to 3).
    strides, dilation_rate : list of int
    padding : list of int
        ``[before_0, after_0, before_1, after_1, ...]``.
    groups : int
    residual : bool
    activation : {"none", "relu", "leaky_relu"}
    alpha : float
        Slope of ``leaky_relu``.
    name : str

    Examples
    --------
    >>> import eddl
    >>> from eddl.layers.fused import FusedConv
    >>> x = eddl.Input([3, 8, 8])
    >>> FusedConv([x], 4, [3, 3], [1, 1], [1, 1, 1, 1], activation="relu").shape
    (4, 8, 8)
    """

    prefix = "fusedconv"

    def __init__(self, layers, filters, kernel_size, strides=(1, 1), padding=(0, 0, 0, 0),
                 groups=1, dilation_rate=(1, 1), residual=False, activation="none", alpha=0.0,
                 name=""):
        layers = self._fused_options(layers, residual, activation, alpha)
        if isinstance(kernel_size, int) or not 1 <= len(kernel_size) <= 3:
            raise ValueError(f"FusedConv: kernel_size must list 1 to 3 sizes, got {kernel_size!r}")
        self.nsp = len(kernel_size)
        super().__init__(layers, filters, list(kernel_size), strides, list(padding), True,
                         groups, dilation_rate, name)
        self.trainable = False

    def compute_shape(self, s, *residual):
        return self._check_residual(super().compute_shape(s), residual)

    def forward(self):
        self.be.conv.conv_forward(self._input(), self.params[0], self.output, *self._geo())
        self._epilogue(self.params[1])


@register_layer()
class FusedDense(_Fused, Dense):
    """A Dense layer on 1-D samples whose output goes through ``act(y + residual)``.

    The bias is added by the GEMM; the residual sum and the activation take one pass.

    Parameters
    ----------
    layers : list of Layer
        The input (1-D samples), and with ``residual`` the layer added before the activation.
    ndim : int
        Units.
    use_bias : bool
    residual : bool
    activation : {"none", "relu", "leaky_relu"}
    alpha : float
    name : str

    Examples
    --------
    >>> import eddl
    >>> from eddl.layers.fused import FusedDense
    >>> FusedDense([eddl.Input([5])], 3, activation="relu").shape
    (3,)
    """

    prefix = "fuseddense"

    def __init__(self, layers, ndim, use_bias=True, residual=False, activation="none",
                 alpha=0.0, name=""):
        layers = self._fused_options(layers, residual, activation, alpha)
        super().__init__(layers, ndim, use_bias, name)
        self.trainable = False

    def compute_shape(self, s, *residual):
        if len(s) != 1:
            raise self.shape_error(f"takes 1-D samples, got {list(s)}")
        return self._check_residual(super().compute_shape(s), residual)

    def forward(self):
        super().forward()
        self._epilogue(None)


@register_layer()
class FusedAffine(_Fused, Layer):
    """``act(x * scale[c] + shift[c] + residual)`` over channel axis 0 of the samples, in one pass.

    A batch normalization at inference (its statistics folded into ``scale`` and ``shift``),
    with the residual sum and activation after it: pre-activation blocks (BN -> ReLU -> Conv)
    and normalizations no convolution precedes.

    Parameters
    ----------
    layers : list of Layer
        The input, and with ``residual`` the layer added before the activation.
    residual : bool
    activation : {"none", "relu", "leaky_relu"}
    alpha : float
    name : str

    Examples
    --------
    >>> import eddl
    >>> from eddl.layers.fused import FusedAffine
    >>> FusedAffine([eddl.Input([4, 5, 5])], activation="relu").shape
    (4, 5, 5)
    """

    prefix = "fusedaffine"

    def __init__(self, layers, residual=False, activation="none", alpha=0.0, name=""):
        layers = self._fused_options(layers, residual, activation, alpha)
        super().__init__(layers, name)
        self.trainable = False

    def compute_shape(self, s, *residual):
        if len(s) < 1:
            raise self.shape_error("needs samples of at least one axis (the channels)")
        return self._check_residual(tuple(s), residual)

    def param_specs(self):
        c = self.shape[0]
        return [("scale", (c,), "ones"), ("shift", (c,), "zeros")]

    def forward(self):
        self._epilogue(self.params[1], x=self._input(), scale=self.params[0])
