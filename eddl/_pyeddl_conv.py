"""PyEDDL-named factories of the convolutional stack (``eddl.Conv2D(parent, 32, [3, 3])``).

Convolution, pooling, normalization, resampling and data-augmentation layers; the classes live
in :mod:`eddl.layers.conv`, :mod:`~eddl.layers.pool`, :mod:`~eddl.layers.normalization`,
:mod:`~eddl.layers.upsampling` and :mod:`~eddl.layers.da`.
"""

from .layers import conv as _conv
from .layers import da as _da
from .layers import normalization as _norm
from .layers import pool as _pool
from .layers import upsampling as _up

__all__ = []


def _export(f):
    __all__.append(f.__name__)
    return f


def _conv_factory(cls, nsp):
    def factory(parent, filters, kernel_size, strides=[1] * nsp, padding="same", use_bias=True,
                groups=1, dilation_rate=[1] * nsp, name=""):
        return cls(parent, filters, kernel_size, strides, padding, use_bias, groups,
                   dilation_rate, name)
    kind = "transposed convolution" if cls.transposed else "convolution"
    factory.__doc__ = f"""{nsp}-D {kind} of a channels-first input (``C x {'x'.join('DHW'[3 - nsp:])}``).

    Parameters
    ----------
    parent : Layer
    filters : int
        Number of output channels.
    kernel_size : int or list of int
        {nsp} values (an int is used for every axis).
    strides : int or list of int
    padding : str or list of int
        ``"same"`` (output ``ceil(n / stride)``; extra padding after), ``"valid"``/``"none"``,
        per-axis strings such as ``"same,none"``, an int, {nsp} ints (symmetric), or {2 * nsp}
        ints ``[before_0, after_0, ...]``.
    use_bias : bool
    groups : int
        Channel groups; must divide the input channels and ``filters``.
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer

    Raises
    ------
    ValueError
        At construction, when the output would be empty, ``groups`` does not divide the
        channels, or the input rank is wrong; the message names the layer and the shapes.
    """
    return factory


def _named(f, name):
    f.__name__ = f.__qualname__ = name
    __all__.append(name)
    return f


Conv1D = _named(_conv_factory(_conv.Conv1D, 1), "Conv1D")
Conv2D = _named(_conv_factory(_conv.Conv2D, 2), "Conv2D")
Conv3D = _named(_conv_factory(_conv.Conv3D, 3), "Conv3D")
Conv = _named(_conv_factory(_conv.Conv2D, 2), "Conv")
ConvT2D = _named(_conv_factory(_conv.ConvT2D, 2), "ConvT2D")
ConvT3D = _named(_conv_factory(_conv.ConvT3D, 3), "ConvT3D")


@_export
def PointwiseConv2D(parent, filters, strides=[1, 1], use_bias=True, groups=1,
                    dilation_rate=[1, 1], name=""):
    """1x1 convolution (channel mixing) with ``filters`` outputs.

    Parameters
    ----------
    parent : Layer
    filters : int
    strides : int or list of int
    use_bias : bool
    groups : int
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer
    """
    return _conv.Conv2D(parent, filters, 1, strides, "valid", use_bias, groups, dilation_rate, name)


PointwiseConv = _named(lambda *a, **k: PointwiseConv2D(*a, **k), "PointwiseConv")
PointwiseConv.__doc__ = PointwiseConv2D.__doc__


@_export
def DepthwiseConv2D(parent, kernel_size, strides=[1, 1], padding="same", use_bias=True,
                    dilation_rate=[1, 1], name=""):
    """Per-channel 2-D convolution (``groups`` = channels, one filter per channel).

    Parameters
    ----------
    parent : Layer
    kernel_size : int or list of int
    strides : int or list of int
    padding : str or list of int
        As in :func:`Conv2D`.
    use_bias : bool
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer
    """
    c = parent.shape[0] if parent.shape else 1
    return _conv.Conv2D(parent, c, kernel_size, strides, padding, use_bias, c, dilation_rate, name)


def _pool_factory(cls, nsp, name):
    def factory(parent, pool_size=[2] * nsp, strides=[2] * nsp, padding="none", name="",
                ceil_mode=False):
        return cls(parent, pool_size, strides, padding, ceil_mode, name, nsp=nsp)
    kind = "Max" if cls.kind == "max" else "Average"
    factory.__doc__ = f"""{kind} pooling over {nsp} spatial axes.

    Parameters
    ----------
    parent : Layer
    pool_size : int or list of int
    strides : int or list of int
    padding : str or list of int
        ``"none"``/``"valid"`` (default), ``"same"``, or ints as in :func:`Conv2D`; padding
        never enters a max or an average.
    name : str
    ceil_mode : bool
        Keep a last, partial window (PyTorch's ``ceil_mode``).

    Returns
    -------
    Layer
    """
    return _named(factory, name)


MaxPool1D = _pool_factory(_pool.MaxPool, 1, "MaxPool1D")
MaxPool2D = _pool_factory(_pool.MaxPool, 2, "MaxPool2D")
MaxPool3D = _pool_factory(_pool.MaxPool, 3, "MaxPool3D")
MaxPool = _pool_factory(_pool.MaxPool, 2, "MaxPool")
AveragePool1D = _pool_factory(_pool.AveragePool, 1, "AveragePool1D")
AveragePool2D = _pool_factory(_pool.AveragePool, 2, "AveragePool2D")
AveragePool3D = _pool_factory(_pool.AveragePool, 3, "AveragePool3D")
AveragePool = _pool_factory(_pool.AveragePool, 2, "AveragePool")
AvgPool1D = _pool_factory(_pool.AveragePool, 1, "AvgPool1D")
AvgPool2D = _pool_factory(_pool.AveragePool, 2, "AvgPool2D")
AvgPool3D = _pool_factory(_pool.AveragePool, 3, "AvgPool3D")
AvgPool = _pool_factory(_pool.AveragePool, 2, "AvgPool")


def _global_factory(cls, name):
    def factory(parent, name=""):
        return cls(parent, name=name)
    factory.__doc__ = f"""{'Maximum' if cls.kind == 'max' else 'Mean'} over all spatial positions
    (the spatial sizes become 1; follow with :func:`Flatten` for a vector).

    Parameters
    ----------
    parent : Layer
    name : str

    Returns
    -------
    Layer
    """
    return _named(factory, name)


for _n in ("", "1D", "2D", "3D"):
    globals()[f"GlobalMaxPool{_n}"] = _global_factory(_pool.GlobalMaxPool, f"GlobalMaxPool{_n}")
    globals()[f"GlobalAveragePool{_n}"] = _global_factory(_pool.GlobalAveragePool,
                                                          f"GlobalAveragePool{_n}")
    globals()[f"GlobalAvgPool{_n}"] = _global_factory(_pool.GlobalAveragePool, f"GlobalAvgPool{_n}")


@_export
def BatchNormalization(parent, affine=True, momentum=0.9, epsilon=0.00001, name=""):
    """Batch normalization over the batch and spatial axes of each channel.

    Parameters
    ----------
    parent : Layer
    affine : bool
        Learn a per-channel scale (``bn_g``) and shift (``bn_b``).
    momentum : float
        ``moving = momentum * moving + (1 - momentum) * batch`` after each training batch.
    epsilon : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3]), True).shape
    (4, 8, 8)
    """
    return _norm.BatchNormalization(parent, affine, momentum, epsilon, name)


@_export
def LayerNormalization(parent, affine=True, epsilon=0.00001, name=""):
    """Normalization over all values of each sample, with element-wise scale and shift.

    Parameters
    ----------
    parent : Layer
    affine : bool
    epsilon : float
    name : str

    Returns
    -------
    Layer
    """
    return _norm.LayerNormalization(parent, affine, epsilon, name)


@_export
def GroupNormalization(parent, groups, epsilon=0.001, affine=True, name=""):
    """Normalization over ``groups`` groups of channels of each sample.

    Parameters
    ----------
    parent : Layer
    groups : int
        Must divide the channels.
    epsilon : float
    affine : bool
    name : str

    Returns
    -------
    Layer
    """
    return _norm.GroupNormalization(parent, groups, epsilon, affine, name)


def _sample_norm_factory(cls, name, formula, extra=""):
    def factory(parent, epsilon=0.001, name=""):
        return cls(parent, epsilon, name)
    factory.__doc__ = f"""Per-sample normalization without weights: {formula}, with statistics
    over all the values of each sample (every axis but the batch).{extra}

    Parameters
    ----------
    parent : Layer
        Any shape.
    epsilon : float
        Positive; keeps the denominator away from zero.
    name : str

    Returns
    -------
    Layer
        Same shape as ``parent``.

    Examples
    --------
    >>> import eddl
    >>> eddl.{name}(eddl.Input([3, 8, 8])).shape
    (3, 8, 8)
    """
    return _named(factory, name)


Norm = _sample_norm_factory(_norm.Norm, "Norm", "``(x - mean) / sqrt(var + epsilon)``",
                            " The variance is the biased one (divided by the number of values).")
NormMax = _sample_norm_factory(
    _norm.NormMax, "NormMax", "``x / (max + epsilon)``",
    " Meant for non-negative inputs. The gradient through the maximum goes to its first\n"
    "    position.")
NormMinMax = _sample_norm_factory(
    _norm.NormMinMax, "NormMinMax", "``(x - min) / (max - min + epsilon)``",
    " The gradient through the maximum and the minimum goes to their first positions.")


@_export
def UpSampling2D(parent, size, interpolation="nearest", name=""):
    """Enlarge ``C x H x W`` inputs by integer factors.

    Parameters
    ----------
    parent : Layer
    size : int or list of int
        Factors ``[fh, fw]``.
    interpolation : {"nearest", "bilinear"}
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.UpSampling2D(eddl.Input([1, 4, 4]), [2, 2]).shape
    (1, 8, 8)
    """
    return _up.UpSampling2D(parent, size, interpolation, name)


UpSampling = _named(lambda parent, size, interpolation="nearest", name="":
                    UpSampling2D(parent, size, interpolation, name), "UpSampling")
UpSampling.__doc__ = UpSampling2D.__doc__


@_export
def UpSampling3D(parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
                 coordinate_transformation_mode="asymmetric", name=""):
    """Resize ``C x D x H x W`` inputs to ``new_shape = [D', H', W']`` (trilinear).

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        ONNX ``Resize`` mode: ``"asymmetric"``, ``"half_pixel"``, ``"pytorch_half_pixel"``
        or ``"align_corners"``.
    name : str

    Returns
    -------
    Layer
    """
    return _up.UpSampling3D(parent, new_shape, reshape, da_mode, constant,
                            coordinate_transformation_mode, name)


@_export
def Resize(parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
           coordinate_transformation_mode="asymmetric", name=""):
    """Resize the spatial axes to ``new_shape`` with linear interpolation.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        As in :func:`UpSampling3D`.
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([1, 10, 10])
    >>> eddl.Resize(x, [5, 5]).shape
    (1, 5, 5)
    >>> eddl.Resize(x, [5, 5], reshape=False).shape   # zoom out, padded with 0
    (1, 10, 10)
    """
    return _up.Resize(parent, new_shape, reshape, da_mode, constant,
                      coordinate_transformation_mode, name)


@_export
def Scale(parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
          coordinate_transformation_mode="asymmetric", name=""):
    """Nearest-neighbour resize of ``C x H x W`` inputs to ``new_shape = [h, w]``.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        As in :func:`UpSampling3D`.
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Scale(eddl.Input([3, 8, 8]), [16, 16], reshape=False).shape   # zoom in, cropped
    (3, 8, 8)
    """
    return _up.Scale(parent, new_shape, reshape, da_mode, constant,
                     coordinate_transformation_mode, name)


@_export
def Pad(parent, padding, constant=0.0, name=""):
    """Pad the last two axes with ``constant``: ``padding = [top, right, bottom, left]``.

    Parameters
    ----------
    parent : Layer
    padding : list of int
        4 values, or 2 (``[vertical, horizontal]``, both sides).
    constant : float
    name : str

    Returns
    -------
    Layer
    """
    return _up.Pad(parent, padding, constant, name)


# --- data augmentation -----------------------------------------------------------------------

@_export
def Crop(parent, from_coords, to_coords, reshape=True, constant=0.0, name=""):
    """Keep the inclusive region ``[from_coords, to_coords]`` (``[y, x]``) of each sample.

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
    reshape : bool
        True: the output is the region. False: the output keeps the input's shape, the region
        stays in place and everything else becomes ``constant``.
    constant : float
        Fill for coordinates outside the input (or outside the region, with
        ``reshape=False``).
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> eddl.Crop(x, [2, 2], [4, 5]).shape
    (3, 3, 4)
    >>> eddl.Crop(x, [2, 2], [4, 5], reshape=False).shape
    (3, 8, 8)
    """
    return _da.Crop(parent, from_coords, to_coords, reshape, constant, name)


@_export
def CenteredCrop(parent, size, reshape=True, constant=0.0, name=""):
    """Central ``[h, w]`` crop of each sample, starting at ``[H // 2 - h // 2, W // 2 - w // 2]``.

    Parameters
    ----------
    parent : Layer
    size : list of int
    reshape : bool
        As in :func:`Crop`.
    constant : float
    name : str

    Returns
    -------
    Layer
    """
    return _da.CenteredCrop(parent, size, reshape, constant, name)


@_export
def CropScale(parent, from_coords, to_coords, da_mode="constant", constant=0.0, name=""):
    """Crop the inclusive region ``[from_coords, to_coords]`` (``[y, x]``) and scale it back to
    the input size (nearest neighbour), in training and inference alike.

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
        The region may extend past the input; those parts are filled by ``da_mode``.
    da_mode : str
        ``"constant"``, ``"original"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or
        ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.CropScale(eddl.Input([3, 8, 8]), [2, 2], [5, 5]).shape
    (3, 8, 8)
    """
    return _da.CropScale(parent, from_coords, to_coords, da_mode, constant, name)


@_export
def Cutout(parent, from_coords, to_coords, constant=0.0, name=""):
    """Set the inclusive region ``[from_coords, to_coords]`` (``[y, x]``) to ``constant``, in
    training and inference alike.

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
        Must satisfy ``0 <= from <= to < size`` on both axes.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Cutout(eddl.Input([1, 8, 8]), [2, 2], [4, 5]).shape
    (1, 8, 8)
    """
    return _da.Cutout(parent, from_coords, to_coords, constant, name)


@_export
def Flip(parent, axis=0, name=""):
    """Mirror each sample (``axis`` 0: vertical, rows reversed; 1: horizontal, columns
    reversed), in training and inference alike.

    Parameters
    ----------
    parent : Layer
    axis : {0, 1}
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Flip(eddl.Input([3, 4, 6]), 1).shape
    (3, 4, 6)
    """
    return _da.Flip(parent, axis, name)


HorizontalFlip = _named(lambda parent, name="": Flip(parent, 1, name), "HorizontalFlip")
HorizontalFlip.__doc__ = "Horizontal :func:`Flip` (columns reversed)."
VerticalFlip = _named(lambda parent, name="": Flip(parent, 0, name), "VerticalFlip")
VerticalFlip.__doc__ = "Vertical :func:`Flip` (rows reversed)."


@_export
def Rotate(parent, angle, offset_center=[0, 0], da_mode="original", constant=0.0, name=""):
    """Rotate each sample by ``angle`` degrees (positive: clockwise as displayed), in training
    and inference alike.

    Parameters
    ----------
    parent : Layer
    angle : float
    offset_center : list of float
        ``[y, x]`` offset of the rotation centre from the image centre.
    da_mode : str
        Fill for pixels from outside the input: ``"original"`` keeps the input pixel,
        ``"constant"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Rotate(eddl.Input([3, 8, 8]), 30.0, da_mode="constant").shape
    (3, 8, 8)
    """
    return _da.Rotate(parent, angle, offset_center, da_mode, constant, name)


@_export
def Shift(parent, shift, da_mode="nearest", constant=0.0, name=""):
    """Translate each sample by ``shift = [y, x]`` pixels (positive: down and right), in
    training and inference alike.

    Parameters
    ----------
    parent : Layer
    shift : list of int
    da_mode : str
        Fill for uncovered pixels, as in :func:`Rotate`.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Shift(eddl.Input([3, 8, 8]), [2, -1], da_mode="constant").shape
    (3, 8, 8)
    """
    return _da.Shift(parent, shift, da_mode, constant, name)


@_export
def RandomCrop(parent, new_shape, name=""):
    """Random ``[h, w]`` crop in training mode; the central crop in inference.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomCrop(parent, new_shape, name)


@_export
def RandomCropScale(parent, factor, da_mode="nearest", name=""):
    """Random crop of ``factor = [min, max]`` of each side, scaled back to the input size.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    da_mode : str
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomCropScale(parent, factor, da_mode, name)


@_export
def RandomCutout(parent, factor_x, factor_y, constant=0.0, name=""):
    """Fill a random rectangle (``factor_x``/``factor_y`` of the width/height) with ``constant``.

    Parameters
    ----------
    parent : Layer
    factor_x, factor_y : list of float
    constant : float
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomCutout(parent, factor_x, factor_y, constant, name)


@_export
def RandomFlip(parent, axis, name=""):
    """Flip each sample with probability 1/2 (``axis`` 0: vertical, 1: horizontal).

    Parameters
    ----------
    parent : Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomFlip(parent, axis, name)


RandomHorizontalFlip = _named(lambda parent, name="": RandomFlip(parent, 1, name),
                              "RandomHorizontalFlip")
RandomHorizontalFlip.__doc__ = "Horizontal :func:`RandomFlip`."
RandomVerticalFlip = _named(lambda parent, name="": RandomFlip(parent, 0, name),
                            "RandomVerticalFlip")
RandomVerticalFlip.__doc__ = "Vertical :func:`RandomFlip`."


@_export
def RandomRotation(parent, factor, offset_center=[0, 0], da_mode="original", constant=0.0,
                   name=""):
    """Rotate each sample by an angle in ``factor = [min, max]`` degrees.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    offset_center : list of float
    da_mode : str
        Fill for pixels from outside the input: ``"original"`` keeps the input pixel,
        ``"constant"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomRotation(parent, factor, offset_center, da_mode, constant, name)


@_export
def RandomScale(parent, factor, da_mode="nearest", constant=0.0,
                coordinate_transformation_mode="asymmetric", name=""):
    """Zoom each sample about its centre by a factor in ``factor = [min, max]``.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    da_mode : str
    constant : float
    coordinate_transformation_mode : str
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomScale(parent, factor, da_mode, constant, coordinate_transformation_mode, name)


@_export
def RandomShift(parent, factor_x, factor_y, da_mode="nearest", constant=0.0, name=""):
    """Translate each sample by fractions of its width/height in ``factor_x``/``factor_y``.

    Parameters
    ----------
    parent : Layer
    factor_x, factor_y : list of float
    da_mode : str
    constant : float
    name : str

    Returns
    -------
    Layer
    """
    return _da.RandomShift(parent, factor_x, factor_y, da_mode, constant, name)


# the zoo builds on the factories above; importing it here makes ``eddl.zoo`` available
from . import zoo  # noqa: E402,F401
