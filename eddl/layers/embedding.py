"""Embedding: integer ids (stored as floats) to rows of a trainable table."""

from .base import Layer
from .registry import register_layer

__all__ = ["Embedding"]


def _positive_int(value, arg):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Embedding: {arg}={value!r} is invalid; valid: an int >= 1")
    return value


@register_layer("Embedding")
class Embedding(Layer):
    """Look up each id of the sample in a trainable table ``E`` of ``vocsize`` rows.

    Ids are the parent's values truncated towards zero (the parent holds them as floats); an
    id outside ``[0, vocsize)`` raises a ValueError naming the layer and the id. The gradient
    reaches ``E`` only (the parent gets zeros: ids are not differentiable).

    Parameters
    ----------
    parent : Layer
        Samples of ``length`` ids.
    vocsize : int
        Number of rows of ``E``.
    length : int
        Ids per sample.
    output_dim : int
        Length of each row of ``E``.
    mask_zeros : bool
        Id 0 gives a row of zeros (padding) and its row of ``E`` is not trained.
    name : str

    Returns
    -------
    Layer
        Shape ``[length, output_dim]``.

    Examples
    --------
    >>> import eddl
    >>> eddl.Embedding(eddl.Input([5]), 100, 5, 8).shape
    (5, 8)
    """

    prefix = "embedding"

    def __init__(self, parent, vocsize, length, output_dim, mask_zeros=False, name=""):
        self.vocsize = _positive_int(vocsize, "vocsize")
        self.length = _positive_int(length, "length")
        self.output_dim = _positive_int(output_dim, "output_dim")
        if mask_zeros not in (True, False):
            raise TypeError(f"Embedding: mask_zeros must be a bool, got {mask_zeros!r}")
        self.mask_zeros = bool(mask_zeros)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if tuple(s) != (self.length,):
            raise self.shape_error(f"length={self.length} does not match the input; valid: "
                                   f"samples of shape [{self.length}] (the ids)")
        return (self.length, self.output_dim)

    def param_specs(self):
        return [("E", (self.vocsize, self.output_dim), "glorot_uniform")]

    def _ids(self):
        """Return the batch's ids as int64 (validated), in a buffer reused across batches."""
        xp = self.be.xp
        x = self.parents[0].output
        lo, hi = float(xp.min(x)), float(xp.max(x))
        if not (lo > -1 and hi < self.vocsize):  # NaN fails too
            host = self.be.to_host(x).reshape(-1)
            bad = next(v for v in host.tolist() if not -1 < v < self.vocsize)
            raise ValueError(f"Embedding layer {self.name!r}: id {bad!r} is out of range; "
                             f"valid: integers in [0, {self.vocsize - 1}] (vocsize="
                             f"{self.vocsize})")
        ids = self.buffer("ids", x.shape, "int64")
        xp.copyto(ids, x, casting="unsafe")
        return ids

    def forward(self):
        xp = self.be.xp
        ids = self._ids()
        xp.take(self.params[0], ids, axis=0, out=self.output)
        if self.mask_zeros:
            keep = self.buffer("keep", ids.shape, bool)
            xp.not_equal(ids, 0, out=keep)
            xp.multiply(self.output, keep[..., None], out=self.output)

    def backward(self):
        xp = self.be.xp
        ids = self.buffer("ids", self.parents[0].output.shape, "int64")
        g = self.gradients[0]
        g.fill(0)
        xp.add.at(g, ids.reshape(-1), self.delta.reshape(-1, self.output_dim))
        if self.mask_zeros:
            g[0] = 0
        self.put_delta(0, lambda out: out.fill(0))
