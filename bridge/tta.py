"""Test-time augmentation: predict flipped and rotated copies of a batch and average them.

Each transform is invertible on the spatial axes of an eddl-layout batch (``[N, C, H, W]``
images or ``[N, C, D, H, W]`` volumes): flips of one spatial axis and rotations by multiples
of 90 degrees in the H-W plane. The predictor sees every transformed copy; a segmentation
output is mapped back to the input's grid by the inverse transform before averaging, a
classification output (one row per image) is averaged as it is.
"""

import numpy as np

from .sliding import _predict_fn, sliding_window_inference

__all__ = ["tta_predict", "TRANSFORMS", "TTA_PRESETS", "apply_transform", "invert_transform",
           "tta_transforms", "windowed_predict"]

# name -> (flip axis counted from the end, or None; quarter turns in the H-W plane)
_SPEC = {
    "identity": (None, 0),
    "flip_h": (-1, 0),      # left-right: the W axis
    "flip_v": (-2, 0),      # up-down: the H axis
    "flip_d": (-3, 0),      # the D axis of a volume
    "rot90": (None, 1),
    "rot180": (None, 2),
    "rot270": (None, 3),
}
TRANSFORMS = tuple(_SPEC)
_REDUCE = {"mean": np.mean, "median": np.median}
_TASKS = ("classification", "segmentation")
#: named transform sets of the command line (``--tta``)
TTA_PRESETS = ("none", "flips", "flips+rot90")


def _check_name(name, nsp):
    if not isinstance(name, str) or name not in _SPEC:
        raise ValueError(f"unknown transform {name!r}; known: {list(TRANSFORMS)}")
    axis, _ = _SPEC[name]
    if axis is not None and -axis > nsp:
        raise ValueError(f"transform {name!r} needs {-axis} spatial axes, the input has {nsp}")
    if _SPEC[name][1] and nsp < 2:
        raise ValueError(f"transform {name!r} needs 2 spatial axes, the input has {nsp}")


def apply_transform(x, name):
    """Apply the transform ``name`` to the spatial axes of ``x``.

    Parameters
    ----------
    x : numpy.ndarray
        ``[N, C, *spatial]``; flips act on the last axes (``flip_h``: W, ``flip_v``: H,
        ``flip_d``: D), rotations on the last two (the H-W plane, counter-clockwise as
        ``numpy.rot90``).
    name : str
        One of :data:`TRANSFORMS`.

    Returns
    -------
    numpy.ndarray
        A view of ``x`` (a copy is not needed: the predictor receives a contiguous copy).
    """
    _check_name(name, x.ndim - 2)
    axis, k = _SPEC[name]
    if axis is not None:
        return np.flip(x, axis)
    return np.rot90(x, k, axes=(-2, -1)) if k else x


def invert_transform(y, name):
    """Undo :func:`apply_transform` with the same ``name`` on a spatial output ``y``.

    Parameters
    ----------
    y : numpy.ndarray
        ``[N, C_out, *spatial]`` on the transformed grid.
    name : str
        One of :data:`TRANSFORMS`.

    Returns
    -------
    numpy.ndarray
        ``y`` on the grid of the untransformed input.
    """
    _check_name(name, y.ndim - 2)
    axis, k = _SPEC[name]
    if axis is not None:
        return np.flip(y, axis)
    return np.rot90(y, -k, axes=(-2, -1)) if k else y


def tta_predict(predictor, x, transforms=("identity", "flip_h", "flip_v", "rot90"),
                task="classification", reduce="mean", return_all=False):
    """Predict ``x`` under each transform, undo the transform on the output and reduce.

    Parameters
    ----------
    predictor : eddl.model.Model or callable
        A network with one input and one output (run with ``eddl.predict`` on the whole
        batch), or ``f(batch) -> outputs`` on arrays, e.g. a sliding-window predictor
        ``lambda b: sliding_window_inference(b, roi, net)``.
    x : array_like
        ``[N, C, H, W]`` images or ``[N, C, D, H, W]`` volumes.
    transforms : sequence of str
        Distinct names from :data:`TRANSFORMS`: ``identity``, ``flip_h`` (W axis),
        ``flip_v`` (H axis), ``flip_d`` (D axis, volumes only), ``rot90``, ``rot180``,
        ``rot270`` (H-W plane; for ``rot90``/``rot270`` the predictor receives ``W x H``
        inputs, so a classifier with a fixed input size needs square images).
    task : {"classification", "segmentation"}
        Classification outputs ``[N, ...]`` are reduced as they are; segmentation outputs
        ``[N, C_out, *spatial]`` must have the transformed input's spatial shape and are
        mapped back by the inverse transform first.
    reduce : {"mean", "median"}
        How the per-transform outputs are combined.
    return_all : bool
        Also return the per-transform outputs (after inversion).

    Returns
    -------
    numpy.ndarray of float64
        The reduced prediction; with ``return_all`` a pair ``(reduced, outputs)`` where
        ``outputs`` is ``[len(transforms), *reduced.shape]`` in the order of ``transforms``.

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.tta import tta_predict
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> y = tta_predict(lambda b: b * 2, x, task="segmentation")
    >>> bool(np.array_equal(y, x * 2))
    True
    """
    x = np.asarray(x)
    if x.ndim not in (4, 5):
        raise ValueError(f"x must be [N, C, H, W] or [N, C, D, H, W], got shape {list(x.shape)}")
    if task not in _TASKS:
        raise ValueError(f"task must be one of {list(_TASKS)}, got {task!r}")
    if reduce not in _REDUCE:
        raise ValueError(f"reduce must be one of {sorted(_REDUCE)}, got {reduce!r}")
    if isinstance(transforms, str):
        transforms = (transforms,)
    transforms = tuple(transforms)
    if not transforms:
        raise ValueError("transforms must name at least one transform")
    for name in transforms:
        _check_name(name, x.ndim - 2)
    if len(set(transforms)) != len(transforms):
        raise ValueError(f"transforms must be distinct, got {list(transforms)}")
    fn = _predict_fn(predictor)

    outs = []
    for name in transforms:
        xt = np.ascontiguousarray(apply_transform(x, name))
        y = np.asarray(fn(xt), dtype=np.float64)
        if y.ndim == 0 or y.shape[0] != x.shape[0]:
            raise ValueError(f"predictor returned shape {list(y.shape)} for a batch of "
                             f"{x.shape[0]} under {name!r}; expected one output per image")
        if task == "segmentation":
            if y.ndim != x.ndim or y.shape[2:] != xt.shape[2:]:
                raise ValueError(f"segmentation: predictor returned shape {list(y.shape)} for "
                                 f"input {list(xt.shape)} under {name!r}; expected "
                                 f"[{x.shape[0]}, C_out, *{list(xt.shape[2:])}]")
            y = invert_transform(y, name)
        if outs and y.shape != outs[0].shape:
            raise ValueError(f"predictor returned shape {list(y.shape)} under {name!r} but "
                             f"{list(outs[0].shape)} under {transforms[0]!r}")
        outs.append(y)
    stacked = np.stack(outs)
    reduced = _REDUCE[reduce](stacked, axis=0)
    return (reduced, stacked) if return_all else reduced


def tta_transforms(preset, spatial_dims):
    """Return the transforms of a named TTA set for inputs of ``spatial_dims`` spatial axes.

    Parameters
    ----------
    preset : {"none", "flips", "flips+rot90"}
        ``none``: the identity only; ``flips``: the identity and a flip of each spatial
        axis (``flip_h``, ``flip_v``, and ``flip_d`` for volumes); ``flips+rot90``: those
        and the rotations by 90, 180 and 270 degrees in the H-W plane.
    spatial_dims : {2, 3}
        Spatial axes of the network's input.

    Returns
    -------
    tuple of str
        Names of :data:`TRANSFORMS`, ``identity`` first.

    Examples
    --------
    >>> from bridge.tta import tta_transforms
    >>> tta_transforms("flips", 3)
    ('identity', 'flip_h', 'flip_v', 'flip_d')
    """
    if preset not in TTA_PRESETS:
        raise ValueError(f"tta must be one of {list(TTA_PRESETS)}, got {preset!r}")
    if spatial_dims not in (2, 3):
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims!r}")
    if preset == "none":
        return ("identity",)
    names = ("identity", "flip_h", "flip_v") + (("flip_d",) if spatial_dims == 3 else ())
    if preset == "flips+rot90":
        names += ("rot90", "rot180", "rot270")
    return names


def windowed_predict(predictor, x, roi_size=None, overlap=0.25, mode="constant", tta="none",
                     sw_batch_size=4, task="segmentation"):
    """Predict a batch with sliding windows, test-time augmentation, or both.

    Each transformed copy of ``x`` (see :func:`tta_transforms`) is predicted window by
    window with :func:`bridge.sliding.sliding_window_inference`, mapped back by the inverse
    transform, and the copies are averaged.

    Parameters
    ----------
    predictor : eddl.model.Model or callable
        A network with one input and one output, or ``f(batch) -> outputs`` on arrays.
    x : array_like
        ``[N, C, H, W]`` images or ``[N, C, D, H, W]`` volumes.
    roi_size : sequence of int, optional
        Window size per spatial axis (``(H, W)`` or ``(D, H, W)``); None predicts the
        whole input at once (then ``x`` must have the network's input size).
    overlap : float
        Fraction of a window shared with its neighbours, in ``[0, 1)``.
    mode : {"constant", "gaussian"}
        Blending of overlapping windows.
    tta : {"none", "flips", "flips+rot90"} or sequence of str
        A named set of :func:`tta_transforms`, or names of :data:`TRANSFORMS`.
    sw_batch_size : int
        Windows per predictor call.
    task : {"segmentation", "classification"}
        Sliding windows need a segmentation (spatial) output.

    Returns
    -------
    numpy.ndarray of float64
        ``[N, C_out, *spatial]`` (segmentation) or ``[N, C_out]`` (classification).

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.tta import windowed_predict
    >>> x = np.random.default_rng(0).random((1, 1, 10, 7))
    >>> y = windowed_predict(lambda b: b ** 2, x, (4, 4), 0.5, "gaussian", "flips+rot90")
    >>> bool(np.allclose(y, x ** 2))
    True
    """
    x = np.asarray(x)
    if x.ndim not in (4, 5):
        raise ValueError(f"x must be [N, C, H, W] or [N, C, D, H, W], got shape {list(x.shape)}")
    names = tta_transforms(tta, x.ndim - 2) if isinstance(tta, str) else tuple(tta)
    fn = _predict_fn(predictor)
    if roi_size is not None:
        if task != "segmentation":
            raise ValueError("roi_size: sliding windows need a segmentation task (an output "
                             f"with the input's spatial axes), got task={task!r}")
        roi = tuple(roi_size)
        whole = fn

        def fn(b):
            return sliding_window_inference(b, roi, whole, sw_batch_size, overlap, mode)
    if names == ("identity",):
        y = np.asarray(fn(np.ascontiguousarray(x)), dtype=np.float64)
        if y.ndim == 0 or y.shape[0] != x.shape[0]:
            raise ValueError(f"predictor returned shape {list(y.shape)} for a batch of "
                             f"{x.shape[0]}; expected one output per image")
        return y
    return tta_predict(fn, x, names, task=task)
