"""``MakeGrid``: a batch of images as one mosaic Image, to look at what a loader produces."""

import math
import numbers

import numpy as np

from ecvl import ColorType, Image
from ecvl.core.convert import saturate_cast
from ecvl.imgproc.intensity import scale_to_array
from eddl import Tensor

__all__ = ["MakeGrid", "make_grid"]


def MakeGrid(t, cols=8, normalize=False):
    """Tile a ``[B, C, H, W]`` batch into a uint8 ``"xyc"`` image, `cols` tiles per row.

    Each tile is the sample's values times 255, clamped to 0..255 and truncated (ECVL's
    ``support_eddl.cpp``: ``Mul(255.)`` then ``ConvertTo(uint8)``); with `normalize` each
    sample is first rescaled to ``[0, 1]`` (:func:`ecvl.scale_to`). Rows are filled left to
    right, and the last row is padded with black tiles.

    Parameters
    ----------
    t : eddl.Tensor
        A ``[B, C, H, W]`` batch.
    cols : int, optional
        Tiles per row (default 8; at most ``B`` are used).
    normalize : bool, optional
        Rescale each sample to ``[0, 1]`` before the ×255 (a constant sample becomes 0).

    Returns
    -------
    ecvl.Image
        uint8, ``"xyc"``, ``ColorType.none``, dims
        ``[cols * W, ceil(B / cols) * H, C]``.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> from bridge import MakeGrid
    >>> batch = eddl.Tensor(np.random.default_rng(0).random((5, 3, 4, 6), np.float32))
    >>> MakeGrid(batch, cols=2).dims_
    [12, 12, 3]
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"MakeGrid: t must be an eddl.Tensor, got {type(t).__name__}")
    arr = t.numpy()
    if arr.ndim != 4 or 0 in arr.shape:
        raise ValueError(f"MakeGrid: t must be a non-empty [B, C, H, W] tensor, got shape "
                         f"{arr.shape}")
    if isinstance(cols, bool) or not isinstance(cols, (numbers.Integral, np.integer)) or cols < 1:
        raise ValueError(f"MakeGrid: cols must be a positive int, got {cols!r}")
    b, c, h, w = arr.shape
    cols = min(b, int(cols))
    rows = math.ceil(b / cols)
    grid = np.zeros((rows * h, cols * w, c), np.uint8)
    for i in range(b):
        tile = arr[i].astype(np.float32)
        if normalize:
            tile = scale_to_array(tile, 0.0, 1.0)
        values = tile.transpose(1, 2, 0).astype(np.float64) * 255.0
        r, k = divmod(i, cols)
        grid[r * h:(r + 1) * h, k * w:(k + 1) * w] = saturate_cast(np.trunc(values), np.uint8)
    return Image.from_canonical(grid, "xyc", ColorType.none)


make_grid = MakeGrid
