"""Enumerations with PyECVL's names and members.

Members keep PyECVL's spelling (``DataType.uint8``, ``ColorType.RGB``,
``ImReadMode.GRAYSCALE``) so ported scripts run unchanged.
"""

import enum

import numpy as np

__all__ = [
    "DataType",
    "ColorType",
    "Device",
    "ThresholdingType",
    "InterpolationType",
    "MorphType",
    "InpaintType",
    "BorderType",
    "ImReadMode",
    "SplitType",
    "Task",
    "DataTypeSize",
    "DataTypeSignedSize",
]


_DATATYPE_OF = {}  # numpy dtype -> DataType, filled by DataType.from_numpy


class DataType(enum.IntEnum):
    """Element type of an :class:`~ecvl.Image`.

    ``DataType.none`` is the type of an empty image and, in functions taking a
    destination type, means "keep the type of the destination or source".

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> ecvl.DataType.from_numpy(np.uint16)
    <DataType.uint16: 7>
    >>> ecvl.DataType.float32.numpy_dtype
    dtype('float32')
    """

    int8 = 0
    int16 = 1
    int32 = 2
    int64 = 3
    float32 = 4
    float64 = 5
    uint8 = 6
    uint16 = 7
    none = 8

    @property
    def numpy_dtype(self):
        """The matching :class:`numpy.dtype` (``None`` for ``DataType.none``)."""
        if self is DataType.none:
            return None
        return np.dtype(self.name)

    @property
    def size(self):
        """Size of one element in bytes (0 for ``DataType.none``)."""
        return 0 if self is DataType.none else np.dtype(self.name).itemsize

    @classmethod
    def from_numpy(cls, dtype):
        """Return the DataType of a NumPy dtype, raising for unsupported ones."""
        found = _DATATYPE_OF.get(dtype) if isinstance(dtype, np.dtype) else None
        if found is not None:
            return found
        from .errors import EcvlTypeError

        dt = np.dtype(dtype)
        try:
            found = cls[dt.name]
        except KeyError:
            raise EcvlTypeError(
                f"unsupported dtype {dt}: ecvl images hold uint8, int8, uint16, int16, "
                "int32, int64, float32 or float64 (convert with .astype first)"
            ) from None
        _DATATYPE_OF[dt] = found  # every image construction asks: make repeats a lookup
        return found

    @classmethod
    def parse(cls, value):
        """Accept a DataType, a NumPy dtype or a type name; return a DataType."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str) and value in cls.__members__:
            return cls[value]
        if value is None:
            return cls.none
        return cls.from_numpy(value)


class ColorType(enum.IntEnum):
    """Colour interpretation of the ``c`` axis of an image."""

    none = 0
    GRAY = 1
    RGB = 2
    RGBA = 3
    BGR = 4
    HSV = 5
    YCbCr = 6

    @property
    def num_channels(self):
        """Number of colour channels this type needs (``None`` when any number fits)."""
        return _NUM_CHANNELS[self]


_NUM_CHANNELS = {c: {ColorType.none: None, ColorType.GRAY: 1, ColorType.RGBA: 4}.get(c, 3)
                 for c in ColorType}


class Device(enum.IntEnum):
    """Where an image's data lives; ecvl images are always on the CPU."""

    NONE = 0
    CPU = 1
    GPU = 2
    FPGA = 3


class ThresholdingType(enum.IntEnum):
    """Threshold direction for :func:`ecvl.Threshold`."""

    BINARY = 0
    BINARY_INV = 1


class InterpolationType(enum.IntEnum):
    """Interpolation used by the geometric operations."""

    nearest = 0
    linear = 1
    area = 2
    cubic = 3
    lanczos4 = 4


class MorphType(enum.IntEnum):
    """Morphological operations (OpenCV's numbering)."""

    MORPH_ERODE = 0
    MORPH_DILATE = 1
    MORPH_OPEN = 2
    MORPH_CLOSE = 3
    MORPH_GRADIENT = 4
    MORPH_TOPHAT = 5
    MORPH_BLACKHAT = 6
    MORPH_HITMISS = 7


class InpaintType(enum.IntEnum):
    """Inpainting algorithms."""

    INPAINT_NS = 0
    INPAINT_TELEA = 1


class BorderType(enum.IntEnum):
    """How pixels outside the image are made up (OpenCV's numbering)."""

    BORDER_CONSTANT = 0
    BORDER_REPLICATE = 1
    BORDER_REFLECT = 2
    BORDER_WRAP = 3
    BORDER_REFLECT_101 = 4
    BORDER_TRANSPARENT = 5


class ImReadMode(enum.IntEnum):
    """Flags of :func:`ecvl.ImRead` (the values of OpenCV's imread flags).

    ``UNCHANGED`` keeps everything, alpha included; ``GRAYSCALE`` converts to one
    channel; ``COLOR`` converts to three; ``ANYCOLOR`` (the default) keeps gray images
    gray and colour images colour. Every mode keeps the file's bit depth.
    """

    UNCHANGED = -1
    GRAYSCALE = 0
    COLOR = 1
    ANYCOLOR = 4


class SplitType(enum.IntEnum):
    """Kinds of dataset split."""

    training = 0
    validation = 1
    test = 2


class Task(enum.IntEnum):
    """Kind of learning task a dataset is for."""

    classification = 0
    segmentation = 1


def DataTypeSize(dt=None):
    """Return the size in bytes of `dt`, or the number of data types when `dt` is None.

    Parameters
    ----------
    dt : DataType, optional
        The type to measure.

    Returns
    -------
    int
        Bytes per element, or the number of concrete data types (8).

    Examples
    --------
    >>> import ecvl
    >>> ecvl.DataTypeSize(ecvl.DataType.int16), ecvl.DataTypeSize()
    (2, 8)
    """
    if dt is None:
        return len(DataType) - 1
    return DataType.parse(dt).size


def DataTypeSignedSize():
    """Return the number of signed data types (6: four integer and two float types).

    Returns
    -------
    int
        The count of signed data types.

    Examples
    --------
    >>> import ecvl
    >>> ecvl.DataTypeSignedSize()
    6
    """
    return sum(1 for d in DataType if d is not DataType.none and d.numpy_dtype.kind in "if")
