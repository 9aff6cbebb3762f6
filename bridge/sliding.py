"""Sliding-window inference: predict an input larger than the network's by overlapping windows.

An image or volume is cut into windows whose predictions are blended back into one output.

The semantics are MONAI's ``sliding_window_inference``: windows of ``roi_size`` step by
``roi_size * (1 - overlap)`` (the last window of an axis is shifted back to end at the border),
an input smaller than the window is padded symmetrically and the padding cropped from the
result, windows of every image of the batch are sent to the predictor ``sw_batch_size`` at a
time, and each output voxel is the importance-weighted mean of the windows covering it
(constant weights, or a Gaussian centred on the window that down-weights window borders).
"""

import math

import numpy as np

__all__ = ["sliding_window_inference", "window_starts", "importance_map"]

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap", "edge": "edge", "wrap": "wrap"}


def window_starts(size, roi, overlap):
    """Start offsets of the windows along one axis (MONAI's ``dense_patch_slices``).

    Parameters
    ----------
    size : int
        Length of the (padded) axis, ``>= roi``.
    roi : int
        Window length.
    overlap : float
        Fraction of ``roi`` shared by neighbouring windows, in ``[0, 1)``.

    Returns
    -------
    list of int
    """
    if roi == size:
        return [0]
    step = max(int(roi * (1 - overlap)), 1)
    n = next(d for d in range(math.ceil(size / step)) if d * step + roi >= size) + 1
    return [min(i * step, size - roi) for i in range(n)]


def importance_map(roi_size, mode="constant", sigma_scale=0.125):
    """Weights of the voxels of one window.

    Parameters
    ----------
    roi_size : sequence of int
    mode : {"constant", "gaussian"}
        Equal weights, or ``exp(-x^2 / (2 s^2))`` per axis with ``x`` the offset from the
        window centre and ``s = sigma_scale * roi``, floored at ``max(min, 1e-3)`` (MONAI's
        ``compute_importance_map``).
    sigma_scale : float or sequence of float

    Returns
    -------
    numpy.ndarray of float64, shape ``roi_size``
    """
    roi_size = tuple(int(r) for r in roi_size)
    if mode == "constant":
        return np.ones(roi_size)
    if mode != "gaussian":
        raise ValueError(f"mode must be 'constant' or 'gaussian', got {mode!r}")
    scales = np.broadcast_to(np.asarray(sigma_scale, dtype=np.float64), (len(roi_size),))
    if not (scales > 0).all():
        raise ValueError(f"sigma_scale must be > 0, got {sigma_scale!r}")
    w = np.ones(())
    for r, s in zip(roi_size, scales):
        x = np.arange(r, dtype=np.float64) - (r - 1) / 2.0
        w = np.multiply.outer(w, np.exp(-x ** 2 / (2 * (r * s) ** 2)))
    return np.maximum(w, max(w.min(), 1e-3))


def _predict_fn(predictor):
    from eddl.model import Model, predict

    if isinstance(predictor, Model):
        if len(predictor.lin) != 1 or len(predictor.lout) != 1:
            raise ValueError("sliding_window_inference: the network must have one input and one "
                             f"output, it has {len(predictor.lin)} and {len(predictor.lout)}")
        return lambda x: predict(predictor, [x], bs=x.shape[0])[0]
    if not callable(predictor):
        raise TypeError(f"predictor must be an eddl Model or a callable, got {type(predictor).__name__}")
    return predictor


def sliding_window_inference(inputs, roi_size, predictor, sw_batch_size=1, overlap=0.25,
                             mode="constant", sigma_scale=0.125, padding_mode="constant",
                             cval=0.0):
    """Predict ``inputs`` window by window and blend the windows' outputs.

    Parameters
    ----------
    inputs : array_like
        ``[N, C, *spatial]`` with 1 to 3 spatial axes (e.g. ``[N, C, D, H, W]`` volumes).
    roi_size : int or sequence of int
        Window size per spatial axis; a value ``<= 0`` (or None) takes the whole axis.
    predictor : eddl.model.Model or callable
        A network with one input and one output, or ``f(windows) -> outputs`` on arrays
        ``[b, C, *roi_size]`` returning ``[b, C_out, *roi_size]``.
    sw_batch_size : int
        Windows per predictor call (windows of all ``N`` images are pooled).
    overlap : float or sequence of float
        Fraction of the window shared by neighbours along each axis, in ``[0, 1)``.
    mode : {"constant", "gaussian"}
        Blending weights (see :func:`importance_map`).
    sigma_scale : float or sequence of float
        Gaussian width as a fraction of the window.
    padding_mode : {"constant", "reflect", "replicate", "circular"}
        How an input smaller than the window is padded (``numpy.pad``'s ``constant``,
        ``reflect``, ``edge``, ``wrap``).
    cval : float
        Value of constant padding.

    Returns
    -------
    numpy.ndarray of float64
        ``[N, C_out, *spatial]``.
    """
    x = np.asarray(inputs)
    if x.ndim < 3 or x.ndim > 5:
        raise ValueError(f"inputs must be [N, C, *spatial] with 1 to 3 spatial axes, got shape "
                         f"{list(x.shape)}")
    nsp = x.ndim - 2
    spatial = x.shape[2:]
    rois = [roi_size] * nsp if np.isscalar(roi_size) or roi_size is None else list(roi_size)
    if len(rois) != nsp:
        raise ValueError(f"roi_size {roi_size!r} does not match {nsp} spatial axes")
    roi = tuple(s if r is None or int(r) <= 0 else int(r) for r, s in zip(rois, spatial))
    overlaps = np.broadcast_to(np.asarray(overlap, dtype=np.float64), (nsp,))
    if not ((overlaps >= 0) & (overlaps < 1)).all():
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}")
    if isinstance(sw_batch_size, bool) or not isinstance(sw_batch_size, (int, np.integer)) \
            or sw_batch_size < 1:
        raise ValueError(f"sw_batch_size must be a positive int, got {sw_batch_size!r}")
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
    weights = importance_map(roi, mode, sigma_scale)
    fn = _predict_fn(predictor)

    pads = [(0, 0), (0, 0)]
    for s, r in zip(spatial, roi):
        diff = max(r - s, 0)
        pads.append((diff // 2, diff - diff // 2))
    if any(p != (0, 0) for p in pads):
        kw = {"constant_values": cval} if padding_mode == "constant" else {}
        x = np.pad(x, pads, mode=_PAD_MODES[padding_mode], **kw)
    padded = x.shape[2:]
    starts = [window_starts(s, r, o) for s, r, o in zip(padded, roi, overlaps)]
    grid = np.stack(np.meshgrid(*starts, indexing="ij"), -1).reshape(-1, nsp)
    jobs = [(n, tuple(slice(s, s + r) for s, r in zip(g, roi)))
            for n in range(x.shape[0]) for g in grid]
    # one window buffer and one weighted-window buffer for the whole call: no allocation per
    # window in the loop, and no multiplication by ones with constant weights
    win = np.empty((min(sw_batch_size, len(jobs)), x.shape[1]) + roi, x.dtype)
    constant = mode == "constant"
    out = count = weighted = None
    for b in range(0, len(jobs), sw_batch_size):
        chunk = jobs[b:b + sw_batch_size]
        for k, (n, where) in enumerate(chunk):
            win[k] = x[(n, slice(None)) + where]
        batch = win[:len(chunk)]
        pred = np.asarray(fn(batch))
        if pred.ndim != nsp + 2 or pred.shape[0] != len(chunk) or tuple(pred.shape[2:]) != roi:
            raise ValueError(f"predictor returned shape {list(pred.shape)} for windows of shape "
                             f"{list(batch.shape)}; expected [{len(chunk)}, C_out, *{list(roi)}]")
        if out is None:
            out = np.zeros((x.shape[0], pred.shape[1]) + padded)
            count = np.zeros((x.shape[0], 1) + padded)
            weighted = np.empty(pred.shape[1:])
        elif pred.shape[1] != out.shape[1]:
            raise ValueError(f"predictor returned {pred.shape[1]} channels, earlier windows "
                             f"had {out.shape[1]}")
        for k, (n, where) in enumerate(chunk):
            region = (n, slice(None)) + where
            if constant:
                out[region] += pred[k]
                count[region] += 1.0
            else:
                np.multiply(pred[k], weights, out=weighted)
                out[region] += weighted
                count[region] += weights
    out /= count
    crop = (slice(None), slice(None)) + tuple(slice(lo, lo + s) for (lo, _), s in zip(pads[2:], spatial))
    return out[crop]
