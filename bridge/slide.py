"""Whole-slide prediction: tile by tile, into an output whose size is the output's, not the slide's.

A slide level is cut into tiles as :func:`bridge.sliding.sliding_window_inference` cuts an
image (tiles of ``tile_size`` step by ``tile_size * (1 - overlap)``, the last one of a row or
column shifted back to end at the border, weights from :func:`bridge.sliding.importance_map`).
Each tile's prediction, a class-probability vector per tile or a map per pixel, is summed into
cells of ``downsample`` level pixels right away, weighted by the tile's importance weights; the
slide is never held whole. Only the output's accumulators (``C + 1`` float64 values per
cell) and one batch of tiles live at once.

A cell's value is the weighted mean over the tiles and pixels that cover it::

    out[c, cell] = sum_t sum_{p in cell & t} w_t(p) y_t(c, p) / sum_t sum_{p in cell & t} w_t(p)

With ``downsample=1`` that is the blended full-resolution result of
:func:`~bridge.sliding.sliding_window_inference`; a classifier's tile vector counts for every
pixel of its tile. Pixels outside the level (a level smaller than a tile) carry no weight.
"""

import math
import os
import sys
from dataclasses import dataclass

import numpy as np

from _deephealth.atomic import atomic_path

from .sliding import _predict_fn, importance_map, window_starts

__all__ = ["SlidePrediction", "predict_slide", "slide_tiles", "save_label_tiff",
           "save_slide_heatmap"]


@dataclass
class SlidePrediction:
    """What :func:`predict_slide` returns.

    Attributes
    ----------
    probabilities : numpy.ndarray of float32
        ``[C, rows, cols]``: the blended prediction per output cell.
    level : int
        Slide level the tiles were read at.
    downsample : tuple of int
        ``(dy, dx)``: level pixels per output cell along each axis.
    level_size : tuple of int
        ``(width, height)`` of the level.
    level_downsample : float
        Level-0 pixels per level pixel.
    tiles : int
        Tiles predicted.
    """

    probabilities: np.ndarray
    level: int
    downsample: tuple
    level_size: tuple
    level_downsample: float
    tiles: int

    @property
    def labels(self):
        """``[rows, cols]`` uint8 (uint16 beyond 256 classes): the most probable class per cell.

        A one-channel output (a sigmoid) is thresholded at 0.5 instead.
        """
        p = self.probabilities
        lab = (p[0] >= 0.5) if p.shape[0] == 1 else np.argmax(p, axis=0)
        return lab.astype(np.uint8 if p.shape[0] <= 256 else np.uint16)


def _pair(value, what, minimum=1):
    try:
        pair = (value, value) if np.isscalar(value) else tuple(value)
        if len(pair) != 2 or any(isinstance(v, bool) or int(v) != v for v in pair):
            raise TypeError
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int or a (height, width) pair of ints, got "
                         f"{value!r}") from None
    pair = tuple(int(v) for v in pair)
    if min(pair) < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value!r}")
    return pair


def _open(slide):
    if isinstance(slide, (str, os.PathLike)):
        from ecvl import OpenSlideImage

        return OpenSlideImage(slide), True
    for name in ("GetLevelsDimensions", "GetLevelDownsamples", "read_region"):
        if not callable(getattr(slide, name, None)):
            raise TypeError(f"slide must be a path or an ecvl.OpenSlideImage-like object with "
                            f"{name}(); got {type(slide).__name__}")
    return slide, False


def slide_tiles(level_size, tile_size, overlap=0.0):
    """Top-left corners of the tiles covering a level, in level pixels.

    Parameters
    ----------
    level_size : (int, int)
        ``(height, width)`` of the level.
    tile_size : int or (int, int)
        ``(height, width)`` of a tile.
    overlap : float or (float, float)
        Fraction of a tile shared by neighbours along each axis, in ``[0, 1)``.

    Returns
    -------
    list of (int, int)
        ``(y, x)`` corners, row by row. Along an axis shorter than the tile there is one
        tile, at 0, reaching past the level.

    Examples
    --------
    >>> slide_tiles((10, 7), 4, 0.25)
    [(0, 0), (0, 3), (3, 0), (3, 3), (6, 0), (6, 3)]
    """
    size = _pair(level_size, "level_size")
    tile = _pair(tile_size, "tile_size")
    overlaps = np.broadcast_to(np.asarray(overlap, dtype=np.float64), (2,))
    if not ((overlaps >= 0) & (overlaps < 1)).all():
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}")
    ys, xs = (window_starts(max(s, t), t, float(o)) for s, t, o in zip(size, tile, overlaps))
    return [(y, x) for y in ys for x in xs]


def _cell_sums(a, first, stop, d, axis):
    """Sum ``a`` over level pixels ``[first, stop)`` in cells of ``d`` pixels along ``axis``.

    Index 0 of ``a`` is level pixel ``first``; returns the sums and the first cell's index.
    """
    take = [slice(None)] * a.ndim
    take[axis] = slice(0, stop - first)
    bounds = [0] + [k * d - first for k in range(first // d + 1, (stop - 1) // d + 1)]
    return np.add.reduceat(a[tuple(take)], bounds, axis=axis), first // d


def predict_slide(slide, predictor, tile_size, level=0, overlap=0.0, downsample=None,
                  mode="constant", sigma_scale=0.125, batch_size=8, scale=1 / 255,
                  progress=True):
    """Predict a whole-slide image tile by tile into a low-resolution probability map.

    Parameters
    ----------
    slide : str, os.PathLike or ecvl.OpenSlideImage
        The slide, or any object with ``GetLevelsDimensions()``, ``GetLevelDownsamples()``
        and ``read_region(x, y, w, h, level)`` returning an ``"xyc"`` RGB
        :class:`ecvl.Image` (x, y in level-0 pixels; white outside the slide).
    predictor : eddl.model.Model or callable
        A network with one input and one output, or ``f(tiles) -> outputs`` on float32
        arrays ``[b, 3, th, tw]``, returning ``[b, C]`` (one prediction per tile, e.g. a
        classifier's softmax) or ``[b, C, th, tw]`` (a map per pixel, e.g. a U-Net's).
    tile_size : int or (int, int)
        ``(height, width)`` of a tile in pixels of ``level``: the network's input size.
    level : int
        Slide level to read.
    overlap : float or (float, float)
        Fraction of a tile shared with its neighbours, in ``[0, 1)``.
    downsample : int or (int, int), optional
        Level pixels per output cell along each axis; default the tile's step, one cell per
        tile of a non-overlapping grid.
    mode : {"constant", "gaussian"}
        Blending weights of overlapping tiles (see :func:`bridge.sliding.importance_map`).
    sigma_scale : float
        Width of the Gaussian weights as a fraction of the tile.
    batch_size : int
        Tiles per predictor call.
    scale : float
        Factor from the tiles' uint8 values to the predictor's input (default 1/255).
    progress : bool
        Show a tqdm bar on standard error when it is a terminal.

    Returns
    -------
    SlidePrediction
        ``probabilities`` is ``[C, ceil(H / dy), ceil(W / dx)]`` for a level of ``W x H``.

    Raises
    ------
    ValueError
        Bad tile size, overlap, downsample, level or batch size, or a predictor output of
        the wrong shape (named with the shape expected).

    Examples
    --------
    >>> import numpy as np
    >>> import ecvl
    >>> class Flat:  # a 40 x 30 "slide" of one level, bright on the right half
    ...     def GetLevelsDimensions(self): return [(40, 30)]
    ...     def GetLevelDownsamples(self): return [1.0]
    ...     def read_region(self, x, y, w, h, level=0):
    ...         a = np.zeros((h, w, 3), np.uint8)
    ...         a[:, max(20 - x, 0):] = 255
    ...         return ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.RGB)
    >>> res = predict_slide(Flat(), lambda t: t.mean(axis=(2, 3))[:, :1], 10, progress=False)
    >>> res.probabilities[0].tolist()[0]
    [0.0, 0.0, 1.0, 1.0]
    """
    tile = _pair(tile_size, "tile_size")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    overlaps = np.broadcast_to(np.asarray(overlap, dtype=np.float64), (2,))
    if not ((overlaps >= 0) & (overlaps < 1)).all():
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}")
    steps = tuple(max(int(t * (1 - o)), 1) for t, o in zip(tile, overlaps))
    cell = steps if downsample is None else _pair(downsample, "downsample")
    weights = importance_map(tile, mode, sigma_scale)
    fn = _predict_fn(predictor)
    handle, owned = _open(slide)
    try:
        dims = handle.GetLevelsDimensions()
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) \
                or not 0 <= level < len(dims):
            raise ValueError(f"level must be an int in [0, {len(dims) - 1}], got {level!r}")
        width, height = (int(v) for v in dims[level])
        ds = float(handle.GetLevelDownsamples()[level])
        corners = slide_tiles((height, width), tile, overlaps)
        rows, cols = -(-height // cell[0]), -(-width // cell[1])
        num = den = None
        buf = np.empty((min(batch_size, len(corners)), 3) + tile, np.float32)
        bar = _bar(math.ceil(len(corners) / batch_size), progress)
        try:
            for b in range(0, len(corners), batch_size):
                chunk = corners[b:b + batch_size]
                for k, (y, x) in enumerate(chunk):
                    region = handle.read_region(int(round(x * ds)), int(round(y * ds)), tile[1],
                                                tile[0], level)
                    a = region.canonical() if hasattr(region, "canonical") else np.asarray(region)
                    if a.shape != tile + (3,):
                        raise ValueError(f"slide.read_region returned shape {list(a.shape)} "
                                         f"for a {tile[1]}x{tile[0]} region; expected "
                                         f"{list(tile + (3,))} (H, W, RGB)")
                    np.multiply(a.transpose(2, 0, 1), scale, out=buf[k], casting="unsafe")
                pred = np.asarray(fn(buf[:len(chunk)]))
                n = len(chunk)
                per_pixel = pred.ndim == 4 and pred.shape[0] == n and pred.shape[2:] == tile
                if not (per_pixel or (pred.ndim == 2 and pred.shape[0] == n)):
                    raise ValueError(f"predictor returned shape {list(pred.shape)} for tiles of "
                                     f"shape {[n, 3, *tile]}; expected [{n}, C] (one prediction "
                                     f"per tile) or [{n}, C, {tile[0]}, {tile[1]}] (a map per "
                                     "pixel)")
                if num is None:
                    num = np.zeros((pred.shape[1], rows, cols))
                    den = np.zeros((rows, cols))
                elif pred.shape[1] != num.shape[0]:
                    raise ValueError(f"predictor returned {pred.shape[1]} channels, earlier "
                                     f"tiles had {num.shape[0]}")
                for k, (y, x) in enumerate(chunk):
                    _accumulate(num, den, pred[k], weights, y, x, (height, width), cell,
                                per_pixel)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if owned:
            handle.Close()
    out = (num / den).astype(np.float32)
    return SlidePrediction(out, int(level), cell, (width, height), ds, len(corners))


def _accumulate(num, den, pred, weights, y, x, size, cell, per_pixel):
    """Add one tile's weighted prediction to the cells it covers (clipped to the level)."""
    th, tw = weights.shape
    y1, x1 = min(y + th, size[0]), min(x + tw, size[1])
    w, r0 = _cell_sums(weights, y, y1, cell[0], 0)
    w, c0 = _cell_sums(w, x, x1, cell[1], 1)
    where = (slice(r0, r0 + w.shape[0]), slice(c0, c0 + w.shape[1]))
    den[where] += w
    if per_pixel:
        s, _ = _cell_sums(pred * weights, y, y1, cell[0], 1)
        s, _ = _cell_sums(s, x, x1, cell[1], 2)
        num[(slice(None),) + where] += s
    else:
        num[(slice(None),) + where] += pred[:, None, None] * w


def _bar(total, progress):
    if not progress:
        return None
    from eddl.model.progress import batch_bar

    return batch_bar(total, "slide tiles", stream=sys.stderr)


def save_label_tiff(labels, path):
    """Write a label map as a single-page TIFF (Pillow), atomically.

    Parameters
    ----------
    labels : SlidePrediction or array_like
        A prediction (its :attr:`SlidePrediction.labels`) or a ``[rows, cols]`` integer
        map with values in ``[0, 65535]``.
    path : str or os.PathLike
        Destination; its folder must exist. The file is complete or absent, never half
        written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> p = os.path.join(tempfile.mkdtemp(), "labels.tiff")
    >>> save_label_tiff(np.array([[0, 1], [2, 1]]), p)
    >>> np.asarray(Image.open(p)).tolist()
    [[0, 1], [2, 1]]
    """
    from PIL import Image

    lab = np.asarray(labels.labels if isinstance(labels, SlidePrediction) else labels)
    if lab.ndim != 2 or 0 in lab.shape:
        raise ValueError(f"labels must be a non-empty 2-D map, got shape {list(lab.shape)}")
    if lab.dtype.kind == "b":
        lab = lab.astype(np.uint8)
    if lab.dtype.kind not in "iu" or lab.min() < 0 or lab.max() > 65535:
        raise ValueError(f"labels must be integers in [0, 65535], got dtype {lab.dtype}"
                         + (f" and range [{lab.min()}, {lab.max()}]" if lab.size else ""))
    img = Image.fromarray(np.ascontiguousarray(lab, np.uint8 if lab.max() < 256 else np.uint16))
    with atomic_path(path, ".tiff") as tmp:
        img.save(tmp, format="TIFF")


def save_slide_heatmap(prediction, path, class_index=None, thumbnail=None, title=None,
                       class_name=None, alpha=0.55):
    r"""Write one class's probability map of a slide as a PNG heat map with a colour bar.

    Parameters
    ----------
    prediction : SlidePrediction
    path : str or os.PathLike
        Destination PNG (written atomically).
    class_index : int, optional
        Channel to show; default the last one (the positive class of a two-class softmax, or
        the only channel of a sigmoid).
    thumbnail : array_like or ecvl.Image, optional
        A picture of the whole level (any size; e.g. ``slide.thumbnail()``); the map is
        stretched over it. Without one the map is drawn alone, one square per cell.
    title : str, optional
    class_name : str, optional
        Names the class in the colour bar's label.
    alpha : float
        Opacity of the map over the thumbnail.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> res = SlidePrediction(np.random.rand(2, 4, 6).astype(np.float32), 0, (8, 8),
    ...                       (48, 32), 1.0, 24)
    >>> p = os.path.join(tempfile.mkdtemp(), "heat.png")
    >>> save_slide_heatmap(res, p)
    >>> open(p, "rb").read(4) == b"\x89PNG"
    True
    """
    from eddl.figures import save_overlay

    if not isinstance(prediction, SlidePrediction):
        raise TypeError(f"prediction must be a SlidePrediction, got {type(prediction).__name__}")
    c = prediction.probabilities.shape[0]
    k = c - 1 if class_index is None else class_index
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < c:
        raise ValueError(f"class_index must be an int in [0, {c - 1}], got {class_index!r}")
    prob = prediction.probabilities[k]
    extent = None
    if thumbnail is not None:
        if hasattr(thumbnail, "canonical"):
            thumbnail = thumbnail.canonical()
        thumbnail = np.asarray(thumbnail)
        # the cells reach past the level's right and bottom edges by up to a cell less a pixel
        (dy, dx), (width, height) = prediction.downsample, prediction.level_size
        sy, sx = thumbnail.shape[0] / height, thumbnail.shape[1] / width
        extent = (-0.5, prob.shape[1] * dx * sx - 0.5, prob.shape[0] * dy * sy - 0.5, -0.5)
    label = f"p({class_name or f'class {k}'})"
    save_overlay(thumbnail, prob, path, kind="probability", alpha=alpha, colorbar_label=label,
                 title=title, overlay_extent=extent)
