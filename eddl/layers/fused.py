"""Fused inference layers: a convolution with its batch normalization, residual sum and activation.

:func:`eddl.optimize_for_inference` makes them from the chains it finds (``Conv [-> BN]
[-> Add] [-> ReLU / LeakyReLU]``); they compute in one convolution and one pass over its
output (:func:`eddl.backend.contract.Conv.channel_epilogue`) what the chain computed in three
to five passes, with the normalization folded into the filters and the bias. They run
inference only.
"""

from .conv import Conv
from .registry import register_layer

__all__ = ["FusedConv"]


@register_layer()
class FusedConv(Conv):
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
        if activation not in ("none", "relu", "leaky_relu"):
            raise ValueError(f"FusedConv: activation must be 'none', 'relu' or 'leaky_relu', "
                             f"got {activation!r}")
        layers = list(layers)
        self.residual = bool(residual)
        if len(layers) != 1 + self.residual:
            raise ValueError(f"FusedConv: takes {1 + self.residual} input layer(s) with "
                             f"residual={self.residual}, got {len(layers)}")
        if isinstance(kernel_size, int) or not 1 <= len(kernel_size) <= 3:
            raise ValueError(f"FusedConv: kernel_size must list 1 to 3 sizes, got {kernel_size!r}")
        self.nsp = len(kernel_size)
        self.activation, self.alpha = activation, float(alpha)
        super().__init__(layers, filters, list(kernel_size), strides, list(padding), True,
                         groups, dilation_rate, name)
        self.trainable = False

    def _parent_list(self, parent):
        return parent

    def compute_shape(self, s, *residual):
        out = super().compute_shape(s)
        if residual and tuple(residual[0]) != out:
            raise self.shape_error(f"the residual must be {list(out)}, got {list(residual[0])}")
        return out

    def forward(self):
        conv, y = self.be.conv, self.output
        conv.conv_forward(self._input(), self.params[0], y, *self._geo())
        res = self.parents[1].output if self.residual else None
        if res is not None and not res.flags.c_contiguous:
            res = self.buffer("res", res.shape)
            res[...] = self.parents[1].output
        conv.channel_epilogue(y, y, None, self.params[1], res, self.activation, self.alpha)

    def backward(self):
        raise RuntimeError(f"FusedConv layer {self.name!r}: fused layers run inference only; "
                           "train the original model and call eddl.optimize_for_inference again")
