"""Binary-mask analysis: connected components, contours and skeletons.

Masks are canonical single-channel arrays (``(H, W)`` or ``(H, W, 1)``); any nonzero value is
foreground.
"""

import numpy as np

from ..._kernels import threads
from ...core._twins import pyecvl_twin
from ...core.enums import ColorType
from ...core.errors import EcvlValueError
from .._kernutil import as_image_array, deliver, image_canonical, nthreads
from . import _label

__all__ = [
    "label_array",
    "find_contours_array",
    "skeletonize_array",
    "ConnectedComponentsLabeling",
    "connected_components_labeling",
    "FindContours",
    "find_contours",
    "Skeletonize",
    "skeletonize",
]


def _mask(src, op):
    a = np.asarray(src)
    if a.dtype == bool:
        a = a.view(np.uint8)
    a, _ = as_image_array(a, op, allow_volume=False)
    if a.shape[-1] != 1:
        raise EcvlValueError(f"{op}: needs a single-channel mask, got {a.shape[-1]} channels")
    m = a[:, :, 0]
    if (m.shape[0] + 2) * (m.shape[1] + 2) >= 2 ** 31:
        # the kernels index pixels and provisional labels with int32
        raise EcvlValueError(f"{op}: mask of shape {m.shape} is too large (2**31 pixels at most)")
    return np.ascontiguousarray(m if m.dtype == np.uint8 else (m != 0).view(np.uint8))


def label_array(mask, connectivity=8):
    """Label the connected components of a binary mask.

    Labels follow the raster order of each component's first pixel, so they equal
    ``scipy.ndimage.label`` / ``skimage.measure.label`` output.

    Parameters
    ----------
    mask : numpy.ndarray
        ``(H, W)`` or ``(H, W, 1)`` array; nonzero pixels are foreground.
    connectivity : {4, 8}, optional
        Pixel neighbourhood (default 8).

    Returns
    -------
    labels : numpy.ndarray
        int32 ``(H, W)`` array, 0 for background and 1..n for the components.
    n : int
        Number of components (background excluded).

    Notes
    -----
    8-connected masks are scanned one 2x2 block at a time (Grana et al.'s block-based
    labelling: the foreground of a block is always connected, so one provisional label per
    block suffices), 4-connected masks one run of foreground at a time; both over strips of
    rows labelled in parallel and stitched along their borders, with a union-find forest
    resolved into final labels by a second pass.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.label import label_array
    >>> labels, n = label_array(np.array([[1, 0, 1], [0, 1, 0]], np.uint8), connectivity=4)
    >>> n, labels.tolist()
    (3, [[1, 0, 2], [0, 3, 0]])
    """
    op = "ConnectedComponentsLabeling"
    if connectivity not in (4, 8):
        raise EcvlValueError(f"{op}: connectivity must be 4 or 8, got {connectivity!r}")
    m = _mask(mask, op)
    out = np.empty(m.shape, np.int32)
    # small images are not worth waking a thread team (strips of 32768 pixels at least)
    n = _label.label2d(m, out, int(connectivity), threads(m.size, 1 << 15))
    return out, int(n)


def find_contours_array(mask, mode="external"):
    """Trace the borders of the foreground of a binary mask.

    Suzuki & Abe border following, 8-connected foreground, every border pixel kept, as
    OpenCV's ``CHAIN_APPROX_NONE``.

    Parameters
    ----------
    mask : numpy.ndarray
        ``(H, W)`` or ``(H, W, 1)`` array; nonzero pixels are foreground.
    mode : {"external", "list"}, optional
        Outer borders of the outermost components only (default), or every border, holes
        included.

    Returns
    -------
    list of numpy.ndarray
        One ``(N, 2)`` int32 array of ``(x, y)`` points per contour, in scan order.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.label import find_contours_array
    >>> m = np.zeros((5, 5), np.uint8); m[1:4, 1:4] = 1
    >>> len(find_contours_array(m)[0])
    8
    """
    if mode not in ("external", "list"):
        raise EcvlValueError(f"FindContours: mode must be 'external' or 'list', got {mode!r}")
    m = _mask(mask, "FindContours")
    return _label.find_contours(m, mode == "external")


def _guo_hall_luts():
    """Return the deletion tables of Guo & Hall's two subiterations.

    They are indexed by the 8-neighbour code (bit k = neighbour k counter-clockwise from
    East).
    """
    codes = np.arange(256)
    b = [(codes >> k) & 1 for k in range(8)]
    # C(p): number of distinct 8-connected components of foreground touching p
    c = sum(((1 - b[i]) & (b[i + 1] | b[(i + 2) % 8])) for i in (0, 2, 4, 6))
    n1 = sum((b[k] | b[k - 1]) for k in (1, 3, 5, 7))
    n2 = sum((b[k] | b[(k + 1) % 8]) for k in (1, 3, 5, 7))
    n = np.minimum(n1, n2)
    g12 = (c == 1) & ((n == 2) | (n == 3))
    g3 = ~(((b[1] | b[2] | (1 - b[7])) & b[0]).astype(bool))
    g3p = ~(((b[5] | b[6] | (1 - b[3])) & b[4]).astype(bool))
    return (g12 & g3).astype(np.uint8), (g12 & g3p).astype(np.uint8)


_LUTS = _guo_hall_luts()


def skeletonize_array(mask, max_iter=-1):
    """Thin a binary mask to a one-pixel-wide, 8-connected skeleton.

    Guo & Hall's parallel thinning; identical to ``skimage.morphology.thin``.

    Parameters
    ----------
    mask : numpy.ndarray
        ``(H, W)`` or ``(H, W, 1)`` array; nonzero pixels are foreground.
    max_iter : int, optional
        Maximum number of iterations (-1: until stable).

    Returns
    -------
    numpy.ndarray
        uint8 mask of the input's shape, 255 on the skeleton and 0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.label import skeletonize_array
    >>> m = np.zeros((5, 7), np.uint8); m[1:4, 1:6] = 1
    >>> (skeletonize_array(m)[2] > 0).astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0]
    """
    m = (_mask(mask, "Skeletonize") != 0).astype(np.uint8)
    squeeze = np.ndim(mask) == 2
    _label.thin(m, _LUTS[0], _LUTS[1], int(max_iter), nthreads())
    out = m * np.uint8(255)
    return out if squeeze else out[:, :, None]


# ---------------------------------------------------------------- Image-level entry points
def connected_components_labeling(src, connectivity=8):
    """Label the components of a binary :class:`~ecvl.Image`.

    Parameters
    ----------
    src : Image
        Single-channel image; nonzero is foreground.
    connectivity : {4, 8}, optional
        Pixel neighbourhood.

    Returns
    -------
    labels : Image
        int32 image of labels (0 = background), same layout as `src`.
    n : int
        Number of labels including the background (PyECVL's count).

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.eye(4, dtype=np.uint8), "xy", ecvl.ColorType.GRAY)
    >>> ecvl.connected_components_labeling(img, 4)[1]
    5
    """
    a = image_canonical(src, "ConnectedComponentsLabeling")
    labels, n = label_array(a, connectivity)
    return src.new_like(labels[:, :, None], colortype=ColorType.GRAY), n + 1


def ConnectedComponentsLabeling(src, dst, connectivity=8):
    """PyECVL form: labels into ``dst``; returns the number of labels including background.

    Parameters
    ----------
    src, dst : Image
        Source mask and destination.
    connectivity : {4, 8}, optional
        Pixel neighbourhood (PyECVL always used 8).

    Returns
    -------
    int
        Number of labels, background included.
    """
    result, n = connected_components_labeling(src, connectivity)
    deliver(result, result.canonical(), dst)
    return n


def find_contours(src, mode="external"):
    """Contours of a binary :class:`~ecvl.Image` as lists of ``[x, y]`` points (PyECVL format).

    Parameters
    ----------
    src : Image
        Single-channel mask.
    mode : {"external", "list"}, optional
        See :func:`find_contours_array`.

    Returns
    -------
    list of list of [int, int]
        One list of points per contour.
    """
    a = image_canonical(src, "FindContours")
    return [c.tolist() for c in find_contours_array(a, mode)]


FindContours = find_contours


def skeletonize(src, max_iter=-1):
    """Skeleton of a binary :class:`~ecvl.Image`; see :func:`skeletonize_array`.

    Parameters
    ----------
    src : Image
        Single-channel mask.
    max_iter : int, optional
        Maximum number of thinning iterations.

    Returns
    -------
    Image
        uint8 mask (0/255) with the source's layout.
    """
    a = image_canonical(src, "Skeletonize")
    return src.new_like(skeletonize_array(a, max_iter), colortype=ColorType.GRAY)


Skeletonize = pyecvl_twin(skeletonize, "Skeletonize")
