"""Per-channel mean and standard deviation, and raw or central moments of N-D images."""

import numbers

import numpy as np

from ...core._twins import pyecvl_twin, write_into
from ...core.enums import ColorType, DataType
from ...core.errors import EcvlTypeError, EcvlValueError
from ...core.image import Image

__all__ = ["mean_std_dev", "MeanStdDev", "moments", "Moments", "central_moments",
           "CentralMoments"]


def _need_image(src, op):
    if not isinstance(src, Image):
        raise EcvlTypeError(f"{op}: src must be an ecvl.Image, got {type(src).__name__}")
    return src._need_data(op)


def mean_std_dev(src):
    """Return the mean and the standard deviation of each channel.

    The standard deviation is the population one (divided by the number of pixels), as
    OpenCV's ``meanStdDev``, which ECVL calls.

    Parameters
    ----------
    src : Image
        Any non-empty image; its ``c`` (else ``o``) axis gives the channels, and an image
        without one has a single channel.

    Returns
    -------
    mean, std : list of float
        One value per channel, computed in float64.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[[1, 10], [3, 30]]], np.uint8), "xyc")
    >>> ecvl.mean_std_dev(img)
    ([2.0, 20.0], [1.0, 10.0])
    """
    _need_image(src, "MeanStdDev")
    canon = src._canonical_view()
    planes = canon.reshape(-1, canon.shape[-1])
    mean = planes.mean(axis=0, dtype=np.float64)
    std = np.sqrt(np.mean((planes - mean) ** 2, axis=0))
    return mean.tolist(), std.tolist()


MeanStdDev = mean_std_dev


def _moment_source(src, op, dtype):
    """Return the data without its colour axis (x-first), its channels and the result type."""
    a = _need_image(src, op)
    if src.colortype_ not in (ColorType.GRAY, ColorType.none):
        raise EcvlValueError(
            f"{op}: src must be a GRAY or ColorType.none image, got colortype "
            f"{src.colortype_.name}")
    dt = DataType.parse(dtype)
    if dt not in (DataType.float32, DataType.float64):
        raise EcvlValueError(f"{op}: type_ must be DataType.float32 or DataType.float64, got "
                             f"{dt.name}")
    ch = src.channels_
    if "c" in ch:
        k = ch.index("c")
        if a.shape[k] != 1:
            raise EcvlValueError(
                f"{op}: src has a 'c' axis of {a.shape[k]} channels (dims {src.dims_}); moments "
                "take one channel: select it first (e.g. img[:, :, 0:1] for 'xyc')")
        a, ch = a.take(0, axis=k), ch[:k] + ch[k + 1:]
    return a, ch, dt


def _moments(a, center, order):
    """``m[i0, i1, ...] = sum prod_d (pos_d - center_d) ** i_d * a[pos]`` in float64."""
    m = a.astype(np.float64)
    powers = np.arange(order + 1, dtype=np.float64)
    for d, c in enumerate(center):
        pos = np.arange(a.shape[d], dtype=np.float64) - c
        # contract axis d of the data with the powers of its coordinate; the new power axis
        # goes last, so after every axis is done the powers are in axis order again
        m = np.tensordot(m, pos[:, None] ** powers[None, :], axes=([0], [0]))
    return m


def _check_order(order, op):
    if isinstance(order, bool) or not isinstance(order, (numbers.Integral, np.integer)) \
            or order < 0:
        raise EcvlValueError(f"{op}: order must be an int >= 0, got {order!r}")
    return int(order)


def _result(src, m, ch, dt):
    return Image.fromarray(m.astype(dt.numpy_dtype), ch, ColorType.none,
                           meta=dict(src.meta_))


def moments(src, order=3, dtype=DataType.float64):
    """Raw moments ``m[p, q] = sum_xy x**p * y**q * I(x, y)`` (any number of axes).

    Parameters
    ----------
    src : Image
        A GRAY or ``ColorType.none`` image or volume; a ``c`` axis must have size 1 and is
        dropped.
    order : int, optional
        Highest power along each axis (default 3).
    dtype : DataType, optional
        ``float64`` (default) or ``float32``.

    Returns
    -------
    Image
        Dims ``order + 1`` along each non-colour axis of `src`, in its order: element
        ``[p, q]`` of an ``"xyc"`` source is the moment of x power p and y power q.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.zeros((4, 3, 1), np.uint8); a[2, 1, 0] = 1          # x=2, y=1
    >>> m = ecvl.moments(ecvl.Image.fromarray(a, "xyc", ecvl.ColorType.GRAY), order=1)
    >>> m.channels_, np.asarray(m).tolist()
    ('xy', [[1.0, 1.0], [2.0, 2.0]])
    """
    a, ch, dt = _moment_source(src, "Moments", dtype)
    order = _check_order(order, "Moments")
    return _result(src, _moments(a, [0.0] * a.ndim, order), ch, dt)


Moments = pyecvl_twin(moments, "Moments", renamed={"type_": "dtype"})


def central_moments(src, center, order=3, dtype=DataType.float64):
    """Moments about `center`: ``mu[p, q] = sum (x - cx)**p * (y - cy)**q * I(x, y)``.

    Parameters
    ----------
    src : Image
        As for :func:`moments`.
    center : sequence of float
        One coordinate per non-colour axis of `src`, in its order (``[cx, cy]`` for
        ``"xyc"``), none negative; usually the centroid ``m[1, 0] / m[0, 0]``, ...
    order : int, optional
        Highest power along each axis (default 3).
    dtype : DataType, optional
        ``float64`` (default) or ``float32``.

    Returns
    -------
    Image
        As for :func:`moments`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.zeros((4, 3, 1), np.uint8); a[1, 1, 0] = a[3, 1, 0] = 1
    >>> img = ecvl.Image.fromarray(a, "xyc", ecvl.ColorType.GRAY)
    >>> np.asarray(ecvl.central_moments(img, [2, 1], order=2))[:, 0].tolist()
    [2.0, 0.0, 2.0]
    """
    op = "CentralMoments"
    a, ch, dt = _moment_source(src, op, dtype)
    order = _check_order(order, op)
    try:
        c = [float(v) for v in center]
    except (TypeError, ValueError):
        raise EcvlValueError(f"{op}: center must be a list of {a.ndim} numbers, got "
                             f"{center!r}") from None
    if len(c) != a.ndim or not all(np.isfinite(c)):
        raise EcvlValueError(f"{op}: center must have one finite coordinate per axis of "
                             f"{ch!r} ({a.ndim}), got {center!r}")
    if any(v < 0 for v in c):
        raise EcvlValueError(f"{op}: center cannot have negative coordinates, got {center!r}")
    return _result(src, _moments(a, c, order), ch, dt)


def CentralMoments(src, moments, center, order=3, type_=DataType.float64):
    """PyECVL form of :func:`ecvl.central_moments`, writing into ``moments``.

    Parameters
    ----------
    src : Image
        Source.
    moments : Image
        Destination (``Image.empty()`` is fine).
    center, order, type_
        As `center`, `order` and `dtype` of :func:`ecvl.central_moments`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.ones((3, 3, 1), np.uint8), "xyc", ecvl.ColorType.GRAY)
    >>> mu = ecvl.Image.empty()
    >>> ecvl.CentralMoments(img, mu, [1, 1], 2)
    >>> float(np.asarray(mu)[2, 0])
    6.0
    """
    write_into(moments, central_moments(src, center, order, type_), "CentralMoments")
