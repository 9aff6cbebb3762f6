"""Linear filters: Gaussian and box blur, separable and 2-D correlation.

The array-level kernels live in :mod:`ecvl.imgproc.filters.blur` (Gaussian and box blurs) and
:mod:`ecvl.imgproc.filters.linear` (separable and 2-D correlation) and are re-exported here; this module
adds the :class:`~ecvl.Image` forms, PyECVL's names beside the pythonic ones.

Borders default to OpenCV's ``reflect_101`` (``gfedcb|abcdefgh|gfedcba``). Integer images are
rounded to nearest with saturation; 2-D uint8 Gaussian blurs equal OpenCV's exactly and other
integer results are within one intensity level of its fixed-point arithmetic.
"""

from ...core._twins import pyecvl_twin
from ...core.errors import EcvlValueError
from .._kernutil import apply_to_image, deliver, image_canonical
from .blur import average_blur_array, gaussian_blur_array, gaussian_kernel
from .linear import filter2d_array, separable_filter_array

__all__ = [
    "average_blur_array",
    "filter2d_array",
    "gaussian_blur_array",
    "gaussian_kernel",
    "separable_filter_array",
    "AverageBlur",
    "average_blur",
    "Filter2D",
    "filter2d",
    "GaussianBlur",
    "GaussianBlur2",
    "gaussian_blur",
    "SeparableFilter2D",
    "separable_filter2d",
]


# ---------------------------------------------------------------- Image-level entry points
def _kernel_array(ker):
    from ...core.image import Image

    if isinstance(ker, Image):
        k = ker.canonical()
        if k.ndim != 3 or k.shape[-1] != 1:
            raise EcvlValueError(f"Filter2D: the kernel image must be 2-D with one channel, "
                                 f"got dims {ker.dims_}")
        return k[:, :, 0]
    return ker


def _out_dtype(dtype):
    from ...core.enums import DataType

    dt = DataType.parse(dtype)
    return None if dt is DataType.none else dt.numpy_dtype


def gaussian_blur(src, sigma, ksize=0, border_type="reflect_101"):
    """Gaussian blur of an :class:`~ecvl.Image` (all spatial axes of a volume).

    Parameters
    ----------
    src : Image
        Source image or volume.
    sigma : float or sequence of float
        Standard deviation, one value or one per axis (x, y[, z]).
    ksize : int or sequence of int, optional
        Odd kernel sizes; 0 derives them from sigma (OpenCV rules).
    border_type : str or BorderType, optional
        Border mode (default ``reflect_101``).

    Returns
    -------
    Image
        Blurred image.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.full((8, 8, 3), 7, np.uint8), "xyc", ecvl.ColorType.RGB)
    >>> int(np.asarray(ecvl.gaussian_blur(img, 1.5)).max())
    7
    """
    return apply_to_image(src, "GaussianBlur", gaussian_blur_array, ksize, sigma, border_type)


def GaussianBlur(src, dst, sizeX, sizeY, sigmaX, sigmaY=0):
    """Blur with a Gaussian into ``dst`` (PyECVL ``GaussianBlur``).

    A 2-D blur with odd sizes (0 = from sigma); ``sigmaY = 0`` means ``sigmaX``. Volumes are
    blurred slice by slice.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    sizeX, sizeY : int
        Odd kernel sizes, or 0 to derive them from the sigmas.
    sigmaX, sigmaY : float
        Standard deviations (0 derives them from the sizes).
    """
    a = image_canonical(src, "GaussianBlur")
    sy = sigmaY if sigmaY and sigmaY > 0 else sigmaX
    sizes, sigmas = [sizeX, sizeY], [sigmaX, sy]
    if a.ndim == 4:
        sizes, sigmas = sizes + [1], sigmas + [0]
    deliver(src, gaussian_blur_array(a, sizes, sigmas), dst)


def GaussianBlur2(src, dst, sigma):
    """PyECVL ``GaussianBlur`` overload taking only sigma (sizes derived from it).

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    sigma : float
        Standard deviation along x and y.
    """
    GaussianBlur(src, dst, 0, 0, sigma, sigma)


def average_blur(src, ksize=3, border_type="reflect_101"):
    """Box blur of an :class:`~ecvl.Image`; see :func:`average_blur_array`.

    Parameters
    ----------
    src : Image
        Source image.
    ksize : int or sequence of int, optional
        Window size per axis (x, y[, z]).
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    return apply_to_image(src, "AverageBlur", average_blur_array, ksize, border_type)


def AverageBlur(src, dst, size):
    """PyECVL-style box blur into ``dst`` with a ``size`` x ``size`` window (2-D).

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    size : int
        Window size.
    """
    a = image_canonical(src, "AverageBlur")
    sizes = [size, size] + ([1] if a.ndim == 4 else [])
    deliver(src, average_blur_array(a, sizes), dst)


def filter2d(src, kernel, dtype=None, border_type="reflect_101"):
    """2-D correlation of an :class:`~ecvl.Image` with a kernel; see :func:`filter2d_array`.

    Parameters
    ----------
    src : Image
        Source image (2-D).
    kernel : Image or array_like
        Kernel; an Image is read through its canonical ``(h, w)`` plane.
    dtype : DataType or numpy dtype, optional
        Output type (default: the source's).
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    return apply_to_image(src, "Filter2D", filter2d_array, _kernel_array(kernel), _out_dtype(dtype),
                          border_type)


Filter2D = pyecvl_twin(filter2d, "Filter2D", renamed={"ker": "kernel", "type": "dtype"})


def separable_filter2d(src, kernel_x, kernel_y, dtype=None, border_type="reflect_101"):
    """Separable correlation of an :class:`~ecvl.Image`; see :func:`separable_filter_array`.

    Parameters
    ----------
    src : Image
        Source image.
    kernel_x, kernel_y : sequence of float
        Kernels along x and y.
    dtype : DataType or numpy dtype, optional
        Output type.
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    return apply_to_image(src, "SeparableFilter2D", separable_filter_array, kernel_x, kernel_y,
                          dtype=_out_dtype(dtype), border=border_type)


SeparableFilter2D = pyecvl_twin(separable_filter2d, "SeparableFilter2D",
                                 renamed={"kerX": "kernel_x", "kerY": "kernel_y", "type": "dtype"})
