"""Metadata values attached to images (DICOM tags, NIfTI header fields, slide properties)."""

import numpy as np

__all__ = ["MetaData"]


class MetaData:
    """One metadata value, as in PyECVL.

    PyECVL holds ints, floats and strings; ecvl also accepts NumPy arrays, lists and
    tuples (a NIfTI affine, for example).

    Parameters
    ----------
    value : int, float, str, numpy.ndarray, list or tuple
        The value held.

    Examples
    --------
    >>> from ecvl import MetaData
    >>> m = MetaData(5e40)
    >>> m.Get(), m.GetStr()
    (5e+40, '5e+40')
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, MetaData):
            value = value._value
        if isinstance(value, (np.integer, np.floating, np.str_, np.bool_)):
            value = value.item()
        if not isinstance(value, (int, float, str, bytes, np.ndarray, list, tuple)):
            raise TypeError(
                f"MetaData holds int, float, str, arrays, lists or tuples, got {type(value).__name__}"
            )
        self._value = value

    def Get(self):
        """Return the value held."""
        return self._value

    def GetStr(self):
        """Return the value as a string."""
        v = self._value
        if isinstance(v, np.ndarray):
            return np.array2string(v, separator=", ")
        return str(v)

    get = Get
    get_str = GetStr

    def __repr__(self):
        return f"MetaData({self._value!r})"

    def __eq__(self, other):
        other = other._value if isinstance(other, MetaData) else other
        if isinstance(self._value, np.ndarray) or isinstance(other, np.ndarray):
            return bool(np.array_equal(self._value, other))
        return self._value == other

    def __hash__(self):
        return hash(self.GetStr())
