"""Inference on volumes: a DICOM series (or DICOM file) and NIfTI files.

A volume is read with ecvl (:func:`ecvl.dicom_read_series`, :func:`ecvl.dicom_read`,
:func:`ecvl.nifti_read`), mapped to ``[0, 1]`` floats, converted to the network's colour
channels and resized in plane (and in depth for 3-D networks) with ecvl's linear resize. A 2-D
network sees every slice, a 3-D network the whole volume; segmentation probabilities are
resized back to the volume's grid before thresholding, so masks line up with the source
voxels.
"""

import os

import numpy as np

import ecvl
import eddl
from ecvl import ColorType, Image

from .tta import TTA_PRESETS, windowed_predict

__all__ = ["read_volume", "volume_to_unit", "predict_volume", "is_volume_path", "check_windows"]


def is_volume_path(path):
    """Tell whether ``path`` is a NIfTI file, a DICOM file or a DICOM series folder.

    A folder is a series when it holds DICOM files and no raster images (other files, such
    as notes or DICOMDIR indexes, are ignored).

    Parameters
    ----------
    path : str
        File or folder.

    Returns
    -------
    bool
    """
    from ecvl.io.dispatch import sniff_format

    if os.path.isfile(path):
        return sniff_format(path) in ("nifti", "dicom")
    if not os.path.isdir(path):
        return False
    kinds = {sniff_format(os.path.join(path, f)) for f in os.listdir(path)
             if not f.startswith(".") and os.path.isfile(os.path.join(path, f))}
    return "dicom" in kinds and "raster" not in kinds


def read_volume(path):
    """Read a DICOM series folder, a DICOM file or a NIfTI file as an ecvl volume.

    Parameters
    ----------
    path : str
        Folder of DICOM slices, ``.dcm`` file, or ``.nii`` / ``.nii.gz`` file.

    Returns
    -------
    tuple
        ``(image, kind)`` with ``kind`` ``"dicom"`` or ``"nifti"``; ``image`` has x, y and
        optional z and c axes.

    Raises
    ------
    ValueError
        The path is neither, or the volume has a time axis.
    """
    from ecvl.io.dispatch import sniff_format

    if os.path.isdir(path):
        img, kind = ecvl.dicom_read_series(path), "dicom"
    elif os.path.isfile(path):
        kind = sniff_format(path)
        if kind == "nifti":
            img = ecvl.nifti_read(path)
        elif kind == "dicom":
            img = ecvl.dicom_read(path)
        else:
            raise ValueError(f"{path}: not a DICOM or NIfTI file")
    else:
        raise ValueError(f"{path}: no such file or folder")
    if not set(img.channels_) <= set("xyzc") or "x" not in img.channels_ \
            or "y" not in img.channels_:
        raise ValueError(f"{path}: a {img.channels_!r} volume cannot be predicted; it needs x, "
                         "y and optional z and c axes (select one time point of a 4-D file)")
    return img, kind


def volume_to_unit(img, window=None):
    """Return the voxels of a volume as ``(D, H, W, C)`` float32 in ``[0, 1]``.

    Parameters
    ----------
    img : ecvl.Image
        Volume or 2-D image.
    window : tuple of float, optional
        ``(center, width)`` of a DICOM VOI window to apply.

    Returns
    -------
    numpy.ndarray
        uint8 data is divided by 255 (as the training command scales its images); otherwise
        the given window, else the window stored in DICOM metadata, else the volume's
        finite minimum..maximum is mapped to ``[0, 1]`` (non-finite voxels become 0).

    Examples
    --------
    >>> import numpy as np, ecvl
    >>> img = ecvl.Image.from_canonical(np.array([[[-5], [15]]], np.int16), "xyc")
    >>> volume_to_unit(img)[..., 0].tolist()
    [[[0.0, 1.0]]]
    """
    from ecvl.io.dicom_writer import window_from_meta

    a = img.canonical()
    if a.ndim == 3:
        a = a[None]
    if window is None and a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255)
    if window is None:
        window = window_from_meta(img)
    if window is not None:
        win = ecvl.apply_window(Image.from_canonical(a, "xyzc", img.colortype_), window[0],
                                window[1], ecvl.DataType.float32)
        return np.ascontiguousarray(win.canonical(), np.float32)
    x = a.astype(np.float64)
    finite = np.isfinite(x)
    if not finite.any():
        raise ValueError("the volume holds no finite values")
    lo, hi = float(x[finite].min()), float(x[finite].max())
    x = np.where(finite, x, lo)  # NaN and infinite voxels count as background
    return ((x - lo) / (hi - lo if hi > lo else 1.0)).astype(np.float32)


def _colour(unit, channels, colortype):
    """Convert ``(D, H, W, C)`` to ``channels`` colour channels with ecvl's conversion."""
    c = unit.shape[-1]
    if c == channels:
        return unit
    src = colortype if colortype in (ColorType.RGB, ColorType.BGR, ColorType.RGBA) and c > 1 \
        else (ColorType.GRAY if c == 1 else ColorType.RGB)
    want = ColorType.RGB if channels == 3 else ColorType.GRAY if channels == 1 else None
    if want is None or c not in (1, 3, 4):
        raise ValueError(f"the network takes {channels} channels; the volume has {c}")
    out = Image.empty()
    ecvl.ChangeColorSpace(Image.from_canonical(unit, "xyzc", src), out, want)
    return np.ascontiguousarray(out.canonical(), np.float32)


def _resize(vol, dhw):
    """Linear resize of ``(D, H, W, C)`` float32 to ``dhw`` (a no-op when equal)."""
    if vol.shape[:3] == tuple(dhw):
        return vol
    out = Image.empty()
    d, h, w = dhw
    if vol.shape[0] == d:  # in-plane only: slices stay slices
        planes = []
        for s in vol:
            ecvl.ResizeDim(Image.from_canonical(np.ascontiguousarray(s), "xyc"), out, [w, h])
            planes.append(out.canonical().copy())
        return np.stack(planes)
    ecvl.ResizeDim(Image.from_canonical(np.ascontiguousarray(vol), "xyzc"), out, [w, h, d])
    return np.ascontiguousarray(out.canonical(), np.float32)


def _axes(sizes):
    """``D=4 H=8 W=8``: sizes named by axis, whatever order the user typed them in."""
    if not 1 <= len(sizes) <= 3:
        return str(list(sizes))
    return " ".join(f"{a}={v}" for a, v in zip("DHW"[3 - len(sizes):], sizes))


def check_windows(in_shape, out_shape, roi_size=None, tta="none", names=("roi_size", "tta")):
    """Check sliding-window and TTA settings against a network's input and output shapes.

    Parameters
    ----------
    in_shape : sequence of int
        The network's input per sample, ``(C, H, W)`` or ``(C, D, H, W)``.
    out_shape : sequence of int
        Its output per sample: ``(K,)`` for a classifier, ``(K, *spatial)`` for a
        segmentation.
    roi_size : sequence of int, optional
        Window per spatial axis, ``(H, W)`` or ``(D, H, W)``.
    tta : str
        One of :data:`bridge.tta.TTA_PRESETS`.
    names : tuple of str
        How errors call the two settings (e.g. the command's ``--window`` and ``--tta``).

    Returns
    -------
    tuple of int or None
        The window, or None.

    Raises
    ------
    ValueError
        Naming ``roi_size`` or ``tta`` and what the network needs instead.

    Examples
    --------
    >>> check_windows((3, 16, 16), (1, 16, 16), [16, 16], "flips")
    (16, 16)
    """
    in_shape, out_shape = tuple(in_shape), tuple(out_shape)
    spatial = in_shape[1:]
    roi_name, tta_name = names
    if tta not in TTA_PRESETS:
        raise ValueError(f"{tta_name} must be one of {list(TTA_PRESETS)}, got {tta!r}")
    if roi_size is None:
        if tta == "flips+rot90" and spatial[-1] != spatial[-2]:
            raise ValueError(f"{tta_name} 'flips+rot90' rotates the input, but the network takes "
                             f"{spatial[-2]} x {spatial[-1]} (H x W) inputs; rotations need "
                             "a square input or sliding windows")
        return None
    roi = tuple(int(r) for r in roi_size)
    if len(roi) != len(spatial):
        raise ValueError(f"{roi_name} has {len(roi)} values ({_axes(roi)}) but the network "
                         f"takes {len(spatial)}-D inputs ({_axes(spatial)})")
    if roi != spatial:
        raise ValueError(f"{roi_name} ({_axes(roi)}) must be the network's input size "
                         f"({_axes(spatial)})")
    if len(out_shape) == 1:
        raise ValueError(f"{roi_name}: sliding windows need a segmentation network; this one "
                         f"outputs {list(out_shape)} class scores")
    return roi


def predict_volume(net, img, window=None, batch_size=16, threshold=0.5, *, roi_size=None,
                   overlap=0.25, blend="constant", tta="none"):
    """Predict a volume with a built network: per slice (2-D network) or whole (3-D network).

    Without ``roi_size`` the slices (or the volume) are resized to the network's input. With
    ``roi_size`` the network slides over the volume's own grid instead (2-D windows over
    each slice, or 3-D windows over the volume; see
    :func:`bridge.sliding.sliding_window_inference`), so nothing is resampled.

    Parameters
    ----------
    net : eddl.model.Model
        Built network taking ``(C, H, W)`` or ``(C, D, H, W)`` inputs. An output of one axis
        is a classifier's class scores; an output with spatial axes is a segmentation.
    img : ecvl.Image
        Volume (or one 2-D image) from :func:`read_volume`.
    window : tuple of float, optional
        Intensity window (see :func:`volume_to_unit`).
    batch_size : int, optional
        Slices per forward pass (2-D networks).
    threshold : float, optional
        Probability above which a one-channel segmentation output is foreground.
    roi_size : sequence of int, optional
        Window ``(H, W)`` (2-D network) or ``(D, H, W)`` (3-D network); it must be the
        network's input size. Needs a segmentation network.
    overlap : float, optional
        Fraction of a window shared with its neighbours, in ``[0, 1)``.
    blend : {"constant", "gaussian"}, optional
        Weights of overlapping windows.
    tta : {"none", "flips", "flips+rot90"}, optional
        Test-time augmentation (see :func:`bridge.tta.tta_transforms`); rotations need a
        square in-plane input when the whole slice is fed to the network.

    Returns
    -------
    dict
        ``unit``: the ``(D, H, W, C)`` input in ``[0, 1]``; ``per``: ``"slice"`` or
        ``"volume"``; for classification ``probs`` (one row per slice, or one row);
        for segmentation ``mask``, ``(D, H, W)`` uint8 labels on the volume's grid
        (0/1 for one output channel, else the arg-max channel).

    Examples
    --------
    >>> import numpy as np, ecvl, eddl
    >>> x = eddl.Input([1, 8, 8])
    >>> net = eddl.Model([x], [eddl.Softmax(eddl.Dense(eddl.Flatten(x), 2))])
    >>> net = eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"])
    >>> vol = ecvl.Image.from_canonical(np.zeros((4, 8, 8, 1), np.uint8), "xyzc")
    >>> predict_volume(net, vol)["probs"].shape
    (4, 2)
    """
    in_shape = tuple(net.lin[0].shape)
    out_shape = tuple(net.lout[0].shape)
    if len(in_shape) not in (3, 4):
        raise ValueError(f"predict_volume: the network takes {list(in_shape)} inputs; "
                         "expected (C, H, W) or (C, D, H, W)")
    task = "classification" if len(out_shape) == 1 else "segmentation"
    roi = check_windows(in_shape, out_shape, roi_size, tta)
    unit = volume_to_unit(img, window)
    x = _colour(unit, in_shape[0], img.colortype_)
    d = unit.shape[0]
    bs = max(1, int(batch_size))

    def run(batch):
        batch = np.ascontiguousarray(batch)
        if roi is None and tta == "none":  # the network alone: no float64 round trip
            return eddl.predict(net, [batch])[0].numpy()
        return windowed_predict(net, batch, roi, overlap, blend, tta, bs, task)

    if len(in_shape) == 3:
        if roi is None:
            x = _resize(x, (d,) + in_shape[1:])
        x = x.transpose(0, 3, 1, 2)
        pred = np.concatenate([run(x[k:k + bs]) for k in range(0, d, bs)])
        per = "slice"
    else:
        if roi is None:
            x = _resize(x, in_shape[1:])
        pred = run(x.transpose(3, 0, 1, 2)[None])
        per = "volume"
    result = {"unit": unit, "per": per}
    if len(out_shape) == 1:
        result["probs"] = pred
        return result
    # segmentation scores as (D', H', W', K) on the network's grid, back to the volume's grid
    k = out_shape[0]
    scores = pred.transpose(0, 2, 3, 1) if per == "slice" else pred[0].transpose(1, 2, 3, 0)
    scores = _resize(np.ascontiguousarray(scores, np.float32), unit.shape[:3])
    if k == 1:
        result["mask"] = (scores[..., 0] > threshold).astype(np.uint8)
    else:
        result["mask"] = np.argmax(scores, axis=-1).astype(np.uint8)
    return result
