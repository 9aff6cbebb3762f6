"""Image statistics: min, max, mean, std, histogram and image moments."""

import numpy as np

from .errors import EcvlValueError
from .image import Image

__all__ = ["image_stats", "histogram", "image_moments"]


def image_stats(img, per_channel=False):
    """Return a dict with the min, max, mean and standard deviation of `img`.

    Parameters
    ----------
    img : Image
        Source image.
    per_channel : bool, optional
        One value per channel (an array) instead of one over everything.

    Returns
    -------
    dict
        Keys ``min``, ``max``, ``mean``, ``std`` (population standard deviation,
        computed in float64).

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[1, 3]], np.uint8), "xy")
    >>> ecvl.image_stats(img)["mean"]
    2.0
    """
    return {
        "min": img.min(per_channel),
        "max": img.max(per_channel),
        "mean": img.mean(per_channel),
        "std": img.std(per_channel),
    }


def histogram(img, bins=256, range=None, per_channel=False):
    """Return the histogram of the values of `img`.

    Parameters
    ----------
    img : Image
        Source image.
    bins : int, optional
        Number of bins (default 256).
    range : (float, float), optional
        Lower and upper edges; default: ``(0, 256)`` for uint8 (one bin per
        value), otherwise the data's min and max.
    per_channel : bool, optional
        One histogram per channel (shape ``(C, bins)``).

    Returns
    -------
    counts : numpy.ndarray
        Counts per bin (int64).
    edges : numpy.ndarray
        The ``bins + 1`` bin edges.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[0, 0, 255]], np.uint8), "xy")
    >>> counts, edges = ecvl.histogram(img)
    >>> int(counts[0]), int(counts[255])
    (2, 1)
    """
    canon = img._need_data("histogram") is not None and img._canonical_view()
    bins = int(bins)
    if bins <= 0:
        raise EcvlValueError(f"histogram: bins must be positive, got {bins}")
    if range is None:
        if canon.dtype == np.uint8:
            range = (0, 256)
        else:
            lo, hi = float(np.nanmin(canon)), float(np.nanmax(canon))
            range = (lo, hi if hi > lo else lo + 1)
    lo, hi = float(range[0]), float(range[1])
    if not hi > lo:
        raise EcvlValueError(f"histogram: range must be increasing, got {range}")
    edges = np.linspace(lo, hi, bins + 1)
    if per_channel:
        counts = np.stack([_hist1(canon[..., c], bins, lo, hi) for c in np.arange(canon.shape[-1])])
    else:
        counts = _hist1(canon, bins, lo, hi)
    return counts, edges


def _hist1(values, bins, lo, hi):
    v = values.ravel()
    if v.dtype == np.uint8 and bins == 256 and (lo, hi) == (0.0, 256.0):
        return np.bincount(v, minlength=256).astype(np.int64)
    return np.histogram(v, bins=bins, range=(lo, hi))[0].astype(np.int64)


def image_moments(img, order=3, central=False):
    """Return the raw (or central) moments ``m[p, q] = sum x**p * y**q * I(x, y)``.

    Parameters
    ----------
    img : Image
        A 2-D single-channel image (x and y axes, channel axis of size 1 if any).
    order : int, optional
        Highest order in each of x and y (default 3).
    central : bool, optional
        Moments about the centroid instead of the origin.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(order + 1, order + 1)`` indexed ``[p, q]``, x power first.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.zeros((4, 3), np.uint8); a[2, 1] = 1          # x=2, y=1
    >>> m = ecvl.image_moments(ecvl.Image.fromarray(a, "xy"), order=1)
    >>> m.tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    """
    img._need_data("image_moments")
    rest = "".join(c for c in img.channels_ if c not in "xy")
    if "x" not in img.channels_ or "y" not in img.channels_ or img.size != img.Width() * img.Height():
        raise EcvlValueError(
            f"image_moments: needs a 2-D single-channel image, got dims {img.dims_} {img.channels_!r}")
    canon = img.to_numpy("yx" + rest).reshape(img.Height(), img.Width(), 1)
    order = int(order)
    if order < 0:
        raise EcvlValueError(f"image_moments: order must be >= 0, got {order}")
    f = canon[..., 0].astype(np.float64)
    ys = np.arange(f.shape[0], dtype=np.float64)
    xs = np.arange(f.shape[1], dtype=np.float64)
    if central:
        m00 = f.sum()
        if m00 != 0:
            xs = xs - (f.sum(axis=0) @ xs) / m00
            ys = ys - (f.sum(axis=1) @ ys) / m00
    px = xs[None, :] ** np.arange(order + 1)[:, None]      # (p, W)
    py = ys[None, :] ** np.arange(order + 1)[:, None]      # (q, H)
    return px @ f.T @ py.T


def _install():
    def make(fn, name):
        def method(self, per_channel=False):
            canon = self._need_data(f"Image.{name}") is not None and self._canonical_view()
            if per_channel:
                r = fn(canon.reshape(-1, canon.shape[-1]), axis=0)
                return r
            r = fn(canon)
            return r.item() if isinstance(r, np.generic) else r
        method.__name__ = name
        method.__doc__ = (f"Return the {name} of the data (one value per channel with "
                          "``per_channel=True``).")
        return method

    Image.min = make(np.min, "min")
    Image.max = make(np.max, "max")
    Image.mean = make(lambda a, axis=None: np.mean(a, axis=axis, dtype=np.float64), "mean")
    Image.std = make(lambda a, axis=None: np.std(a, axis=axis, dtype=np.float64), "std")
    Image.histogram = lambda self, bins=256, range=None, per_channel=False: histogram(self, bins, range, per_channel)
    Image.histogram.__doc__ = "Return ``(counts, edges)``; see :func:`ecvl.histogram`."
    Image.moments = lambda self, order=3, central=False: image_moments(self, order, central)
    Image.moments.__doc__ = "Return raw or central moments; see :func:`ecvl.image_moments`."


_install()
