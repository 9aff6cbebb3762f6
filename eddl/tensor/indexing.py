"""Indexing of :class:`~eddl.Tensor`: PyEDDL's ``select``/``set_select`` strings and ``[]``.

``t[...]`` follows NumPy (basic indexing gives a view sharing memory; integer indices drop the
dimension). ``select`` follows PyEDDL: one string per dimension, ``"a:b"``, ``":"``, ``"a:"``,
``":b"`` or ``"k"`` (kept as a size-1 dimension), negative numbers counting from the end, and
it returns a copy.
"""

import numpy as np

from ._base import TensorBase
from ._checks import is_scalar

__all__ = ["IndexingMixin", "parse_select"]


def _parse_int(text, full, dim, size):
    try:
        v = int(text)
    except ValueError:
        raise ValueError(f"select: invalid index {full!r} for dimension {dim}: "
                         f"{text!r} is not an integer") from None
    return v + size if v < 0 else v


def parse_select(indices, shape):
    """Turn PyEDDL index strings into a tuple of slices, validated against ``shape``.

    Parameters
    ----------
    indices : sequence of str
        One entry per leading dimension (ints are accepted as ``"k"``).
    shape : tuple of int

    Returns
    -------
    tuple of slice
    """
    if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
        raise TypeError(f"select: indices must be a list of strings, got {type(indices).__name__}")
    indices = list(indices)
    if len(indices) > len(shape):
        raise ValueError(f"select: {len(indices)} indices given for a tensor of "
                         f"{len(shape)} dimension(s) {tuple(shape)}")
    out = []
    for dim, size in enumerate(shape):
        raw = indices[dim] if dim < len(indices) else ":"
        if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
            raw = str(int(raw))
        if not isinstance(raw, str):
            raise TypeError(f"select: index for dimension {dim} must be a str, got {raw!r}")
        text = raw.replace(" ", "")
        if ":" in text:
            if text.count(":") > 1:
                raise ValueError(f"select: invalid index {raw!r} for dimension {dim}: "
                                 "steps are not supported")
            a, b = text.split(":")
            start = _parse_int(a, raw, dim, size) if a else 0
            stop = _parse_int(b, raw, dim, size) if b else size
        else:
            start = _parse_int(text, raw, dim, size)
            stop = start + 1
        if not 0 <= start < stop <= size:
            raise ValueError(f"select: index {raw!r} selects [{start}, {stop}) which is empty or "
                             f"outside dimension {dim} of size {size}")
        out.append(slice(start, stop))
    return tuple(out)


def _norm_key(key, op):
    """Convert Tensor parts of an index key to arrays and reject unsupported kinds."""
    parts = key if isinstance(key, tuple) else (key,)
    norm = []
    for k in parts:
        if isinstance(k, TensorBase):
            k = k._data
        if isinstance(k, (float, np.floating)):
            raise TypeError(f"{op}: float index {k!r}; indices must be ints, slices, None, "
                            "... or int/bool tensors")
        if isinstance(k, np.ndarray) and k.dtype.kind not in "biu":
            raise TypeError(f"{op}: index arrays must be integer or bool, got {k.dtype}")
        norm.append(k)
    return tuple(norm)


class IndexingMixin(TensorBase):
    """``select``/``set_select`` and ``[]`` indexing."""

    def select(self, indices):
        """Return a copy of the region given by PyEDDL index strings.

        Parameters
        ----------
        indices : list of str
            One per dimension (missing trailing ones mean ``":"``).

        Returns
        -------
        Tensor
            A new tensor; single indices keep their dimension with size 1.

        Examples
        --------
        >>> t = Tensor.arange(0, 12, 1).reshape([3, 4])
        >>> t.select(["1:3", "2"]).shape
        [2, 1]
        """
        return self._new(self._data[parse_select(indices, self._data.shape)].copy())

    def set_select(self, indices, A):
        """Write ``A`` (a tensor or a number) into the region given by PyEDDL index strings.

        Parameters
        ----------
        indices : list of str
            As in :meth:`select`.
        A : Tensor or float
            Values; a tensor must broadcast to the selected region's shape.

        Returns
        -------
        Tensor
            This tensor.
        """
        region = parse_select(indices, self._data.shape)
        target_shape = self._data[region].shape
        val = self._operand(A, "set_select")
        try:
            np.broadcast_to(val, target_shape)
        except ValueError:
            raise ValueError(f"set_select: value of shape {val.shape} does not fit the selected "
                             f"region of shape {target_shape}") from None
        self._data[region] = val
        return self

    def __getitem__(self, key):
        key = _norm_key(key, "__getitem__")
        if not any(k is Ellipsis for k in key):
            # A trailing Ellipsis turns an all-integer key into a 0-d view instead of a scalar.
            key = key + (Ellipsis,)
        return self._new(self._data[key])

    def __setitem__(self, key, value):
        key = _norm_key(key, "__setitem__")
        if is_scalar(value) or isinstance(value, (TensorBase, np.ndarray)):
            value = self._operand(value, "__setitem__")
        else:
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise TypeError(f"__setitem__: cannot assign values of dtype {value.dtype}")
        self._data[key] = value
