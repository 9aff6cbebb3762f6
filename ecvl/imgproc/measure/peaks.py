"""Integral images, non-maxima suppression and the positions of the largest values.

ECVL implements these for ``"xyc"`` GRAY images of one type each (uint8 for the integral
image, int32 for the other two); here they take any element type, and the integral image
any number of channels.
"""

import numbers

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import ColorType, DataType
from ...core.errors import EcvlValueError
from .._kernutil import image_canonical

__all__ = ["integral_image", "IntegralImage", "non_maxima_suppression", "NonMaximaSuppression",
           "get_max_n", "GetMaxN"]

_INTEGRAL_TYPES = (DataType.float64, DataType.float32, DataType.int64, DataType.int32)


def _image_2d(src, op):
    a = image_canonical(src, op)
    if a.ndim != 3:
        raise EcvlValueError(f"{op}: needs a 2-D image (x, y and a colour axis), got channels "
                             f"{src.channels_!r}")
    return a


def _single_channel(src, op):
    a = _image_2d(src, op)
    if a.shape[-1] != 1:
        raise EcvlValueError(f"{op}: needs a single-channel image, got {a.shape[-1]} channels "
                             f"(dims {src.dims_}, channels {src.channels_!r})")
    return a


def integral_image(src, dtype=DataType.float64):
    """Summed-area table: ``out[x, y] = sum of src[:x, :y]``, one row and column larger.

    Parameters
    ----------
    src : Image
        A 2-D image of any element type and any number of channels (each summed apart).
    dtype : DataType, optional
        Result type: ``float64`` (default, the only one ECVL offers), ``float32``, ``int64``
        or ``int32`` (integer sources only; refused if a sum would overflow it).

    Returns
    -------
    Image
        Dims ``[W + 1, H + 1, C]`` in the order of `src`'s channels, first row and column
        zero (OpenCV's ``cv2.integral`` layout); GRAY for one channel, else
        ``ColorType.none``.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.ones((3, 2, 1), np.uint8), "xyc", ecvl.ColorType.GRAY)
    >>> np.asarray(ecvl.integral_image(img))[:, :, 0].tolist()
    [[0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 2.0, 4.0], [0.0, 3.0, 6.0]]
    """
    op = "IntegralImage"
    a = _image_2d(src, op)
    dt = DataType.parse(dtype)
    if dt not in _INTEGRAL_TYPES:
        raise EcvlValueError(f"{op}: dst_type must be one of "
                             f"{', '.join(t.name for t in _INTEGRAL_TYPES)}, got {dt.name}")
    h, w, c = a.shape
    exact = a.dtype.kind in "iu"
    if dt.numpy_dtype.kind == "i" and not exact:
        raise EcvlValueError(f"{op}: dst_type {dt.name} needs an integer source, got "
                             f"{a.dtype}; use float64")
    acc = np.zeros((h + 1, w + 1, c), np.int64 if exact else np.float64)
    np.cumsum(a, axis=0, dtype=acc.dtype, out=acc[1:, 1:])
    np.cumsum(acc[1:, 1:], axis=1, out=acc[1:, 1:])
    if dt is DataType.int32 and acc.size and (acc.max() > 2 ** 31 - 1 or acc.min() < -2 ** 31):
        raise EcvlValueError(f"{op}: the sums reach {int(acc.max())}, beyond int32; use "
                             "dst_type int64 or float64")
    ct = ColorType.GRAY if c == 1 else ColorType.none
    return src.new_like(acc.astype(dt.numpy_dtype), colortype=ct)


IntegralImage = pyecvl_twin(integral_image, "IntegralImage", renamed={"dst_type": "dtype"})


def non_maxima_suppression(src):
    """Keep the pixels not smaller than any of their 8 neighbours; zero the others.

    As ECVL: ties survive (a plateau is kept whole) and the one-pixel frame of the image is
    zero, its pixels lacking a full neighbourhood.

    Parameters
    ----------
    src : Image
        A single-channel 2-D image of any element type.

    Returns
    -------
    Image
        Same dims, type and channels as `src`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.array([[0, 0, 0, 0], [0, 5, 3, 0], [0, 2, 4, 0], [0, 0, 0, 0]], np.int32)
    >>> img = ecvl.Image.from_canonical(a[..., None], "xyc", ecvl.ColorType.GRAY)
    >>> ecvl.non_maxima_suppression(img).canonical()[..., 0].tolist()
    [[0, 0, 0, 0], [0, 5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    a = _single_channel(src, "NonMaximaSuppression")[..., 0]
    out = np.zeros_like(a)
    h, w = a.shape
    if h >= 3 and w >= 3:
        centre = a[1:-1, 1:-1]
        keep = np.ones(centre.shape, bool)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                if dy != 1 or dx != 1:
                    keep &= centre >= a[dy:dy + h - 2, dx:dx + w - 2]
        out[1:-1, 1:-1] = np.where(keep, centre, 0)
    return src.new_like(out[..., None])


NonMaximaSuppression = pyecvl_twin(non_maxima_suppression, "NonMaximaSuppression")


def get_max_n(src, n):
    """Return the ``[x, y]`` positions of the `n` largest values, largest first.

    Parameters
    ----------
    src : Image
        A single-channel 2-D image of any element type.
    n : int
        How many positions, from 1 to the number of pixels.

    Returns
    -------
    list of [int, int]
        Positions sorted by decreasing value; equal values in raster order (row by row).

    Notes
    -----
    ECVL returns the same positions in the order of its internal heap, and pads the list
    with ``[-1, -1]`` when `n` exceeds the number of pixels; here that is an error.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.array([[1, 9, 3], [7, 2, 8]], np.int32)          # rows y, columns x
    >>> img = ecvl.Image.from_canonical(a[..., None], "xyc", ecvl.ColorType.GRAY)
    >>> ecvl.get_max_n(img, 3)
    [[1, 0], [2, 1], [0, 1]]
    """
    op = "GetMaxN"
    a = _single_channel(src, op)[..., 0]
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, np.integer)) \
            or not 1 <= n <= a.size:
        raise EcvlValueError(f"{op}: n must be an int from 1 to the {a.size} pixels of the "
                             f"image, got {n!r}")
    flat = a.ravel()
    # stable sort of the negated values: decreasing values, ties in raster order
    key = -flat.astype(np.float64) if flat.dtype.kind == "f" else -flat.astype(np.int64)
    idx = np.argsort(key, kind="stable")[:int(n)]
    ys, xs = np.divmod(idx, a.shape[1])
    return [[int(x), int(y)] for x, y in zip(xs, ys)]


GetMaxN = get_max_n
