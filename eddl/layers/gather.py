"""Take: entries of one sample axis picked by constant indices (NumPy's ``take``)."""

import numpy as np

from .base import Layer
from .registry import register_layer

__all__ = ["Take"]


@register_layer("Take")
class Take(Layer):
    """Pick entries of ``axis`` of each sample by constant ``indices``, as ``numpy.take``.

    The output replaces ``axis`` by the shape of ``indices``; an index may repeat (its
    gradient is summed). This is ONNX's ``Gather`` with constant indices, and how remaps
    such as a fixed rotation come back from ONNX.

    Parameters
    ----------
    parent : Layer
    indices : int or nested list of int
        Indices into ``axis`` (negative ones count from the end).
    axis : int
        Sample axis (batch excluded).
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> from eddl.layers.gather import Take
    >>> Take(eddl.Input([3, 5]), [[4, 0], [1, 1]], axis=1).shape
    (3, 2, 2, 2)
    """

    prefix = "take"

    def __init__(self, parent, indices, axis=0, name=""):
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu" and idx.size:
            raise ValueError(f"Take: indices must be integers, got {idx.dtype}")
        self.indices = idx.astype(np.int64).tolist()
        self._idx = idx.astype(np.int64)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Take: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if not -len(s) <= self.axis < len(s):
            raise self.shape_error(f"axis {self.axis} out of range for a {len(s)}-D sample")
        self._ax = self.axis % len(s)
        d = s[self._ax]
        if self._idx.size and (self._idx.min() < -d or self._idx.max() >= d):
            raise self.shape_error(f"indices must be in [{-d}, {d - 1}] for an axis of size {d}")
        self._idx = np.where(self._idx < 0, self._idx + d, self._idx)
        return tuple(s[:self._ax]) + self._idx.shape + tuple(s[self._ax + 1:])

    def forward(self):
        xp = self.be.xp
        if not hasattr(self, "_dev_idx") or self._dev_idx is None:
            self._dev_idx = self.be.from_host(self._idx)
        xp.take(self.parents[0].output, self._dev_idx, axis=self._ax + 1, out=self.output)

    def backward(self):
        xp = self.be.xp

        def write(out):
            out[...] = 0
            key = (slice(None),) * (self._ax + 1) + (self._dev_idx,)
            xp.add.at(out, key, self.delta)
        self.put_delta(0, write)
