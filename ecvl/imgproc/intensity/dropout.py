"""Coarse dropout: zeroing random rectangular cells of an image.

``rng`` is a :class:`numpy.random.Generator`, an int seed (same seed, same result) or None for
fresh entropy.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.errors import EcvlValueError
from .._kernutil import apply_to_image, as_image_array, restore
from ._intensity_util import _rng

__all__ = [
    "coarse_dropout_array",
    "CoarseDropout",
    "coarse_dropout",
]


def coarse_dropout_array(src, p, drop_size, per_channel=False, rng=None):
    """Zero random rectangles of an array.

    The image is tiled into cells of ``drop_size`` times its width and height, and each cell
    is dropped with probability ``p``.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` (or ``(D, H, W, C)``, cells spanning all slices) array.
    p : float
        Drop probability of a cell, in [0, 1].
    drop_size : float
        Cell size as a fraction of the image side, in (0, 1].
    per_channel : bool, optional
        Drop each channel's cells independently.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Copy with the dropped cells set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity.dropout import coarse_dropout_array
    >>> int(coarse_dropout_array(np.ones((8, 8), np.uint8), 1.0, 0.5).sum())
    0
    """
    op = "CoarseDropout"
    if not 0 <= p <= 1:
        raise EcvlValueError(f"{op}: p must be in [0, 1], got {p!r}")
    if not 0 < drop_size <= 1:
        raise EcvlValueError(f"{op}: drop_size must be in (0, 1], got {drop_size!r}")
    a, squeeze = as_image_array(src, op)
    H, W = a.shape[-3], a.shape[-2]
    sy, sx = max(1, int(round(drop_size * H))), max(1, int(round(drop_size * W)))
    cells = (-(-H // sy), -(-W // sx), a.shape[-1] if per_channel else 1)
    keep = _rng(rng).random(cells) >= p
    mask = np.repeat(np.repeat(keep, sy, axis=0), sx, axis=1)[:H, :W]
    return restore(a * mask.astype(a.dtype), squeeze)



# ---------------------------------------------------------------- Image-level entry points
def coarse_dropout(src, p, drop_size, per_channel=False, rng=None):
    """Copy with dropped rectangles; see :func:`coarse_dropout_array`.

    Parameters
    ----------
    src : Image
        Source image.
    p, drop_size : float
        Drop probability and cell size (fraction of the image side).
    per_channel : bool, optional
        Drop channels independently.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Result.
    """
    return apply_to_image(src, "CoarseDropout", coarse_dropout_array, p, drop_size, per_channel, rng)


CoarseDropout = pyecvl_twin(coarse_dropout, "CoarseDropout", renamed={"seed": "rng"})
