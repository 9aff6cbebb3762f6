"""Conversion between ecvl Images and eddl Tensors (PyECVL's ECVL <-> EDDL functions).

Images are stored by ecvl in a canonical ``(H, W, C)`` / ``(D, H, W, C)`` layout; networks
want channels first. ``ImageToTensor`` moves the channel axis to the front and converts to
float32 in one pass, writing straight into a preallocated batch when asked, so assembling a
batch costs one copy per sample.
"""

import numbers

import numpy as np

from ecvl import ColorType, Image, View_float32
from eddl import Tensor

__all__ = ["ImageToTensor", "TensorToImage", "TensorToView", "image_to_array",
           "image_to_tensor", "tensor_to_image", "tensor_to_view", "chw_shape"]


def _check_image(img, what):
    if not isinstance(img, Image):
        raise TypeError(f"{what}: expected an ecvl.Image, got {type(img).__name__}")
    if img.IsEmpty():
        raise ValueError(f"{what}: the image is empty")
    ch = img.channels_
    if "t" in ch:
        raise ValueError(f"{what}: images with a time axis ({ch!r}) have no tensor layout; "
                         "select one time point first")
    if "x" not in ch or "y" not in ch:
        raise ValueError(f"{what}: the image needs x and y axes, got channels {ch!r}")


def _channels_first(img):
    """View of the image data as ``(C, H, W)`` or ``(C, D, H, W)`` (no copy when possible)."""
    ch = img.channels_
    a = np.asarray(img)  # x-first: axes in the order of the channels string
    k = "c" if "c" in ch else "o" if "o" in ch else ("z" if len(ch) == 3 and "z" in ch else None)
    spatial = [s for s in "zyx" if s in ch and s != k]
    if set(ch) != set(spatial) | ({k} if k else set()) or len(ch) > 4:
        raise ValueError(f"ImageToTensor: channels {ch!r} have no tensor layout (expected x, y, "
                         "optional z, and at most one of c/o)")
    order = [ch.index(s) for s in spatial]
    if k is None:
        return a.transpose(order)[None]
    return a.transpose([ch.index(k)] + order)


def chw_shape(img):
    """Shape of the tensor ``ImageToTensor(img)`` returns.

    Parameters
    ----------
    img : ecvl.Image
        A 2-D image or volume.

    Returns
    -------
    tuple of int
        ``(C, H, W)`` or ``(C, D, H, W)``.
    """
    _check_image(img, "chw_shape")
    return _channels_first(img).shape


def _write(src, dst, scale, mean, std):
    """Write ``src`` into float32 ``dst`` as ``(src * scale - mean) / std`` (per channel)."""
    if scale is None:
        np.copyto(dst, src, casting="unsafe")
    else:
        np.multiply(src, np.float32(scale), out=dst, casting="unsafe")
    if mean is not None or std is not None:
        bshape = (-1,) + (1,) * (dst.ndim - 1)
        if mean is not None:
            dst -= np.asarray(mean, np.float32).reshape(bshape)
        if std is not None:
            dst /= np.asarray(std, np.float32).reshape(bshape)


def _check_norm(value, channels, name):
    if value is None:
        return None
    a = np.asarray(value, np.float64).ravel()
    if a.size not in (1, channels):
        raise ValueError(f"ImageToTensor: {name} must have 1 or {channels} values "
                         f"(one per channel), got {a.size}")
    if not np.all(np.isfinite(a)) or (name == "std" and np.any(a == 0)):
        raise ValueError(f"ImageToTensor: {name} must be finite" +
                         (" and nonzero" if name == "std" else "") + f", got {value!r}")
    return a.astype(np.float32)


def image_to_array(img, out=None, scale=None, mean=None, std=None):
    """Image -> float32 channels-first NumPy array, optionally into ``out``.

    Parameters
    ----------
    img : ecvl.Image
        Image with ``x``, ``y`` and optionally ``c``/``o``/``z`` axes, any element type.
    out : numpy.ndarray, optional
        Float32 array of exactly the result's shape to write into (e.g. one slot of a batch).
    scale : float, optional
        Multiply the values by this (e.g. ``1/255``).
    mean, std : float or sequence of float, optional
        Per-channel normalisation applied after scaling: ``(x - mean) / std``.

    Returns
    -------
    numpy.ndarray
        ``(C, H, W)`` or ``(C, D, H, W)`` float32 array (``out`` when given).

    Examples
    --------
    >>> import numpy as np, ecvl
    >>> from bridge import image_to_array
    >>> img = ecvl.Image.from_canonical(np.zeros((4, 5, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    >>> image_to_array(img).shape
    (3, 4, 5)
    """
    _check_image(img, "ImageToTensor")
    src = _channels_first(img)
    mean = _check_norm(mean, src.shape[0], "mean")
    std = _check_norm(std, src.shape[0], "std")
    if scale is not None and not (isinstance(scale, numbers.Real) and np.isfinite(scale)):
        raise ValueError(f"ImageToTensor: scale must be a finite number, got {scale!r}")
    if out is None:
        out = np.empty(src.shape, np.float32)
    elif not isinstance(out, np.ndarray) or out.dtype != np.float32 or out.shape != src.shape:
        raise ValueError(f"ImageToTensor: the destination must be a float32 array of shape "
                         f"{src.shape}, got {getattr(out, 'dtype', type(out).__name__)} "
                         f"{getattr(out, 'shape', '')}")
    _write(src, out, scale, mean, std)
    return out


def ImageToTensor(img, t=None, offset=None, scale=None, mean=None, std=None):
    """Copy an Image into a new ``[C, H, W]`` tensor, or into ``t`` after ``offset`` images.

    The image is read channels-first (``"xyc"``, ``"xyo"``, ``"xyz"`` -> ``[C, H, W]``;
    ``"xyzc"`` volumes -> ``[C, D, H, W]``; ``"xy"`` -> ``[1, H, W]``) and converted to
    float32.

    With ``t`` and ``offset`` the copy goes into the tensor's memory the way ECVL does it
    (``support_eddl.cpp``, ``ImageToTensor(img, t, offset)``): the ``n = C*H*W`` values land at
    flat positions ``offset*n`` to ``(offset+1)*n`` of ``t``, whatever ``t``'s shape. For a
    batch ``[N, C, H, W]`` of the image's sample shape that is sample slot ``offset``.

    Parameters
    ----------
    img : ecvl.Image
        Source image (any element type, any stored axis order).
    t : eddl.Tensor, optional
        Destination float32 tensor holding at least ``(offset + 1) * n`` values. Both ``t``
        and ``offset`` or neither must be given.
    offset : int, optional
        How many images of this size are already stored in ``t``.
    scale : float, optional
        Multiply values by this (e.g. ``1/255``).
    mean, std : float or sequence of float, optional
        Per-channel normalisation after scaling.

    Returns
    -------
    eddl.Tensor
        The new tensor, or ``t``.

    Examples
    --------
    >>> import numpy as np, ecvl, eddl
    >>> from bridge import ImageToTensor
    >>> img = ecvl.Image.from_canonical(np.full((4, 5, 3), 255, np.uint8), "xyc",
    ...                                 ecvl.ColorType.RGB)
    >>> t = ImageToTensor(img, scale=1 / 255)
    >>> t.shape, float(t.numpy().max())
    ([3, 4, 5], 1.0)
    >>> batch = eddl.Tensor([2, 3, 4, 5])
    >>> _ = ImageToTensor(img, batch, 1)
    >>> flat = eddl.Tensor([2 * 60])          # any shape with room for two images
    >>> _ = ImageToTensor(img, flat, 1)
    """
    if (t is None) != (offset is None):
        raise ValueError("ImageToTensor: give both the tensor t and the offset, or neither")
    if t is None:
        return Tensor.fromarray(image_to_array(img, None, scale, mean, std), copy=False)
    if not isinstance(t, Tensor):
        raise TypeError(f"ImageToTensor: t must be an eddl.Tensor, got {type(t).__name__}")
    arr = t.numpy()
    if arr.dtype != np.float32:
        raise ValueError(f"ImageToTensor: t must be float32, got {arr.dtype}")
    if isinstance(offset, bool) or not isinstance(offset, (numbers.Integral, np.integer)) \
            or offset < 0:
        raise ValueError(f"ImageToTensor: offset must be an int >= 0 (images already in t), "
                         f"got {offset!r}")
    _check_image(img, "ImageToTensor")
    shape = _channels_first(img).shape
    n = int(np.prod(shape))
    end = (int(offset) + 1) * n
    if end > arr.size:
        raise ValueError(f"ImageToTensor: offset {offset} needs room for {end} values "
                         f"({int(offset) + 1} images of {n} = {shape}) but tensor {arr.shape} "
                         f"holds {arr.size}")
    flat = arr.reshape(-1)
    if not np.shares_memory(flat, arr):
        raise ValueError(f"ImageToTensor: tensor {arr.shape} is not contiguous, so it has no "
                         "flat layout to write into")
    image_to_array(img, flat[end - n:end].reshape(shape), scale, mean, std)
    return t


def _tensor_planes(t, what):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: expected an eddl.Tensor, got {type(t).__name__}")
    arr = t.numpy()
    if arr.ndim not in (3, 4):
        raise ValueError(f"{what}: expected a [C, H, W] or [N, C, H, W] tensor, got shape "
                         f"{arr.shape}")
    return arr.reshape((-1,) + arr.shape[-2:])  # (planes, H, W)


def TensorToImage(t, colortype=ColorType.none):
    """Copy a ``[C, H, W]`` (or ``[N, C, H, W]``) tensor into a float32 Image.

    Parameters
    ----------
    t : eddl.Tensor
        Source tensor.
    colortype : ColorType, optional
        ``ColorType.none`` (default, PyECVL) gives an ``"xyo"`` image of ``N*C`` planes;
        another colour type gives an ``"xyc"`` image with that colour type.

    Returns
    -------
    ecvl.Image
        dims ``[W, H, N*C]``.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> from bridge import TensorToImage
    >>> TensorToImage(eddl.Tensor(np.zeros((3, 4, 5), np.float32))).dims_
    [5, 4, 3]
    """
    planes = _tensor_planes(t, "TensorToImage")
    canon = np.ascontiguousarray(planes.transpose(1, 2, 0), dtype=np.float32)
    ch = "xyo" if colortype == ColorType.none else "xyc"
    return Image.from_canonical(canon, ch, colortype)


def TensorToView(t):
    """Image aliasing the memory of a ``[C, H, W]`` / ``[N, C, H, W]`` float tensor (no copy).

    Writes to the image change the tensor and vice versa. The image is ``"xyo"`` with dims
    ``[W, H, N*C]``, an ``ecvl.View_float32`` as in PyECVL: an Image (``IsOwner()`` False)
    that also gets and sets single elements, ``v[x, y, o]``.

    Parameters
    ----------
    t : eddl.Tensor
        A contiguous float32 tensor on the CPU.

    Returns
    -------
    ecvl.View_float32

    Examples
    --------
    >>> import numpy as np, eddl
    >>> from bridge import TensorToView
    >>> t = eddl.Tensor(np.zeros((1, 2, 3), np.float32))
    >>> v = TensorToView(t)
    >>> np.asarray(v)[2, 1, 0] = 5.0
    >>> float(t.numpy()[0, 1, 2])
    5.0
    """
    planes = _tensor_planes(t, "TensorToView")
    if not np.shares_memory(planes, t.numpy()):
        raise ValueError("TensorToView: the tensor is not contiguous, so no view is possible; "
                         "use TensorToImage")
    return View_float32(Image.fromarray(planes.transpose(2, 1, 0), "xyo", ColorType.none,
                                        copy=False))


image_to_tensor = ImageToTensor
tensor_to_image = TensorToImage
tensor_to_view = TensorToView
