"""Positional encodings added to sequences ``[T, D]``: the Transformer's sinusoids, or learned."""

import numpy as np

from .base import Layer
from .registry import register_layer

__all__ = ["PositionalEncoding", "LearnedPositionalEncoding", "sinusoids"]


def sinusoids(length, dim):
    """Return the Transformer's positional encodings, a float64 ``[length, dim]`` array.

    ``PE[t, 2i] = sin(t / 10000^(2i / dim))`` and ``PE[t, 2i + 1] = cos(t / 10000^(2i / dim))``
    (Vaswani et al., "Attention is all you need", 2017, section 3.5); an odd ``dim`` ends
    with a sine.

    Examples
    --------
    >>> from eddl.layers.positional import sinusoids
    >>> sinusoids(3, 4).round(3)
    array([[ 0.   ,  1.   ,  0.   ,  1.   ],
           [ 0.841,  0.54 ,  0.01 ,  1.   ],
           [ 0.909, -0.416,  0.02 ,  1.   ]])
    """
    t = np.arange(length, dtype=np.float64)[:, None]
    freq = 10000.0 ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    pe = np.empty((length, dim))
    pe[:, 0::2] = np.sin(t * freq)
    pe[:, 1::2] = np.cos(t * freq[: dim // 2])
    return pe


class _Positional(Layer):
    def compute_shape(self, s):
        if len(s) != 2:
            raise self.rank_error(s, "samples of shape [T, D] (sequence length first)", "[T, D]")
        return tuple(s)

    def backward(self):
        self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta))


@register_layer("PositionalEncoding")
class PositionalEncoding(_Positional):
    """Add the Transformer's fixed sinusoidal positional encodings to sequences ``[T, D]``.

    ``y[t, 2i] = x[t, 2i] + sin(t / 10000^(2i / D))`` and
    ``y[t, 2i + 1] = x[t, 2i + 1] + cos(t / 10000^(2i / D))`` (see
    :func:`~eddl.layers.positional.sinusoids`). Nothing is trained.

    Parameters
    ----------
    parent : Layer
        Samples of shape ``[T, D]``.
    name : str

    Returns
    -------
    Layer
        Shape ``[T, D]``.

    Examples
    --------
    >>> import eddl
    >>> eddl.PositionalEncoding(eddl.Input([10, 16])).shape
    (10, 16)
    """

    prefix = "positional_encoding"

    def __init__(self, parent, name=""):
        super().__init__([parent], name)

    def forward(self):
        table = self._buffers.get("table")
        if table is None:
            table = self.be.from_host(sinusoids(*self.shape), dtype=self.dtype)
            self._buffers["table"] = table
        self.be.xp.add(self.parents[0].output, table, out=self.output)


@register_layer("LearnedPositionalEncoding")
class LearnedPositionalEncoding(_Positional):
    """Add a trained table ``P`` of shape ``[T, D]`` to sequences ``[T, D]``: ``y = x + P``.

    Parameters
    ----------
    parent : Layer
        Samples of shape ``[T, D]``.
    name : str

    Returns
    -------
    Layer
        Shape ``[T, D]``; ``P`` starts from a small normal draw (``random_normal``).

    Examples
    --------
    >>> import eddl
    >>> pe = eddl.LearnedPositionalEncoding(eddl.Input([10, 16]))
    >>> pe.shape, pe.param_specs()
    ((10, 16), [('P', (10, 16), 'random_normal')])
    """

    prefix = "learned_positional_encoding"

    def __init__(self, parent, name=""):
        super().__init__([parent], name)

    def param_specs(self):
        return [("P", self.shape, "random_normal")]

    def forward(self):
        self.be.xp.add(self.parents[0].output, self.params[0], out=self.output)

    def backward(self):
        if self.trainable:
            b = self.delta.shape[0]
            self.be.nn.bias_grad(self.delta.reshape(b, -1), self.gradients[0].reshape(-1))
        super().backward()
