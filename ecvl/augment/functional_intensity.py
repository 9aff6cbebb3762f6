"""Pure intensity array functions used by the augmentations.

They take canonical arrays of any layout (elementwise or per channel, the channel axis
last) and return new arrays. Integer results are rounded and saturated to their dtype.
Random ones take an explicit :class:`numpy.random.Generator`.
"""

import numpy as np

from .._kernels import threads
from ..imgproc.thresholding import _threshold

__all__ = [
    "saturate", "gamma_contrast", "add_brightness", "gaussian_blur", "laplace_noise",
    "poisson_noise", "gaussian_noise", "coarse_dropout", "salt_and_pepper", "normalize",
    "scale_to", "scale_from_to", "to_float32", "div_by_255", "invert", "equalize",
    "contrast", "ct_window", "dtype_range", "clahe",
]


_RANGES = {}


def dtype_range(dtype):
    """``(min, max)`` of an integer dtype, ``(0.0, 1.0)`` for floats."""
    r = _RANGES.get(dtype)
    if r is None:
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            r = (int(info.min), int(info.max))
        else:
            r = (0.0, 1.0)
        _RANGES[np.dtype(dtype)] = r
    return r


def saturate(x, dtype):
    """Round and clip float data ``x`` into ``dtype`` (no-op rounding for floats)."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        lo, hi = dtype_range(dtype)
        x = np.clip(np.rint(x), lo, hi)
    return x.astype(dtype, copy=False)


# every value of a byte, indexed by the raw byte (int8: byte b holds b or b - 256)
_BYTE_VALUES = {np.dtype(np.uint8): np.arange(256, dtype=np.uint8).astype(np.float32),
                np.dtype(np.int8): np.arange(256, dtype=np.uint8).view(np.int8).astype(np.float32)}


def _lut_apply(a, fn):
    """Apply ``fn`` (float array -> float array) through a lookup table for 8-bit data."""
    x = _BYTE_VALUES.get(a.dtype)
    if x is not None:
        lo, hi = dtype_range(a.dtype)
        y = np.rint(fn(x))
        np.minimum(np.maximum(y, lo, out=y), hi, out=y)  # ufuncs: np.clip costs more here
        lut = y.astype(a.dtype).view(np.uint8)
        src = np.ascontiguousarray(a)
        out = np.empty(src.shape, a.dtype)
        # waking a thread team costs more than a small image's lookups
        nt = threads(src.size, 1 << 17)
        _threshold.lut_u8(src.reshape(-1).view(np.uint8), out.reshape(-1).view(np.uint8), lut, nt)
        return out
    return saturate(fn(a.astype(np.float32 if a.itemsize <= 2 else np.float64)), a.dtype)


def gamma_contrast(a, gamma):
    """``max * (x / max) ** gamma`` with ``max`` the dtype's (1 for floats)."""
    hi = float(dtype_range(a.dtype)[1])
    if hi == 1.0:
        return np.power(np.clip(a, 0, None), gamma).astype(a.dtype)
    return _lut_apply(a, lambda x: hi * np.power(np.maximum(x, 0) / hi, gamma))


def add_brightness(a, beta):
    """Add ``beta`` with saturation."""
    if np.issubdtype(a.dtype, np.floating):
        return (a + beta).astype(a.dtype)
    return _lut_apply(a, lambda x: x + beta)


def contrast(a, alpha):
    """Scale the distance of every value from its channel mean by ``alpha``."""
    axes = tuple(range(a.ndim - 1))
    mean = a.mean(axis=axes, dtype=np.float64).astype(np.float32)
    return saturate((a.astype(np.float32) - mean) * alpha + mean, a.dtype)


def gaussian_blur(a, sigma):
    """Gaussian blur of the spatial axes with standard deviation ``sigma`` (pixels)."""
    if sigma <= 0:
        return a.copy()
    from ..imgproc.filters import gaussian_blur_array

    return gaussian_blur_array(a, 0, float(sigma))


def _add_noise(a, noise):
    return saturate(a.astype(np.float32) + noise, a.dtype)


def laplace_noise(a, std_dev, rng):
    """Add Laplace noise of standard deviation ``std_dev``."""
    return _add_noise(a, rng.laplace(0.0, std_dev / np.sqrt(2.0), a.shape).astype(np.float32))


def poisson_noise(a, lam, rng):
    """Add Poisson(``lam``) noise with a random sign per element (zero mean)."""
    n = rng.poisson(lam, a.shape).astype(np.float32)
    n *= rng.integers(0, 2, a.shape, dtype=np.int8) * 2 - 1
    return _add_noise(a, n)


def gaussian_noise(a, mean, std_dev, rng):
    """Add Gaussian noise."""
    return _add_noise(a, rng.normal(mean, std_dev, a.shape).astype(np.float32))


def coarse_dropout(a, p, drop_size, per_channel, rng):
    """Zero boxes of ``drop_size`` (fraction of each spatial side), each with prob. ``p``.

    The spatial axes are cut into a grid of such boxes (rectangles of a 2-D image, cuboids
    of a volume). With ``per_channel`` the decision is taken for every channel separately.
    """
    sp, c = a.shape[:-1], a.shape[-1]
    side = [max(1, int(round(drop_size * n))) for n in sp]
    cells = rng.random(tuple(-(-n // s) for n, s in zip(sp, side)) +
                       (c if per_channel else 1,)) < p
    for ax, s in enumerate(side):
        cells = np.repeat(cells, s, axis=ax)
    full = cells[tuple(slice(0, n) for n in sp)]
    out = a.copy()
    np.copyto(out, 0, where=np.broadcast_to(full, a.shape))
    return out


def salt_and_pepper(a, p, per_channel, rng, salt_fraction=0.5):
    """Set a fraction ``p`` of pixels to the maximum (salt) or minimum (pepper).

    ``salt_fraction`` is the probability that a corrupted pixel becomes salt; the values
    are the dtype's limits for integers and 0/1 for floats.
    """
    lo, hi = dtype_range(a.dtype)
    shape = a.shape if per_channel else a.shape[:-1] + (1,)
    hit = rng.random(shape) < p
    salt = rng.random(shape) < salt_fraction
    out = a.copy()
    np.copyto(out, np.asarray(hi, a.dtype), where=np.broadcast_to(hit & salt, a.shape))
    np.copyto(out, np.asarray(lo, a.dtype), where=np.broadcast_to(hit & ~salt, a.shape))
    return out


def normalize(a, mean, std):
    """``(x - mean) / std`` per channel (scalars or one value per channel), as float."""
    c = a.shape[-1]
    mean = np.asarray(mean, np.float64).ravel()
    std = np.asarray(std, np.float64).ravel()
    for name, v in (("mean", mean), ("std", std)):
        if v.size not in (1, c):
            raise ValueError(f"AugNormalize: {name} has {v.size} values for {c} channel(s)")
    if np.any(std == 0):
        raise ValueError(f"AugNormalize: std must not be 0, got std={std.tolist()}; give "
                         "nonzero values")
    dt = np.float64 if a.dtype == np.float64 else np.float32
    return ((a.astype(dt) - mean.astype(dt)) / std.astype(dt)).astype(dt)


def _rescale(a, old_min, old_max, new_min, new_max):
    dt = a.dtype
    if np.issubdtype(dt, np.integer):
        lo, hi = dtype_range(dt)
        fits = all(float(v).is_integer() and lo <= v <= hi for v in (new_min, new_max))
        if not fits:
            dt = np.dtype(np.float32)
    span = old_max - old_min
    scale = 0.0 if span == 0 else (new_max - new_min) / span
    work = np.float64 if a.dtype.itemsize > 2 or dt == np.float64 else np.float32
    return saturate((a.astype(work) - old_min) * scale + new_min, dt)


def scale_to(a, new_min, new_max):
    """Linearly map the array's ``[min, max]`` onto ``[new_min, new_max]``.

    Integer arrays keep their dtype when the new range is integral and fits it,
    otherwise the result is float32.
    """
    return _rescale(a, float(a.min()), float(a.max()), new_min, new_max)


def scale_from_to(a, old_min, old_max, new_min, new_max):
    """Linearly map ``[old_min, old_max]`` onto ``[new_min, new_max]`` (dtype as scale_to)."""
    return _rescale(a, old_min, old_max, new_min, new_max)


def to_float32(a, divisor=1.0):
    """Convert to float32 and divide by ``divisor``."""
    out = a.astype(np.float32)
    if divisor != 1:
        out /= np.float32(divisor)
    return out


def div_by_255(a):
    """Divide by 255; integer data becomes float32 (PyECVL kept uint8 and truncated)."""
    if np.issubdtype(a.dtype, np.integer):
        return to_float32(a, 255.0)
    return (a / a.dtype.type(255)).astype(a.dtype)


def invert(a):
    """Invert intensities: ``max - x`` for unsigned types, ``min + max - x`` otherwise."""
    if np.issubdtype(a.dtype, np.unsignedinteger):
        return (np.iinfo(a.dtype).max - a).astype(a.dtype)
    lo, hi = a.min(), a.max()
    return saturate(float(lo) + float(hi) - a.astype(np.float64), a.dtype)


def equalize(a, bins=256):
    """Histogram equalisation of every channel (8-bit data exactly, others on ``bins`` bins)."""
    out = np.empty_like(a)
    for c in range(a.shape[-1]):
        ch = a[..., c]
        if a.dtype == np.uint8:
            hist = np.bincount(ch.ravel(), minlength=256)
            cdf = np.cumsum(hist)
            nz = cdf[hist > 0][0] if hist.any() else 0
            denom = max(cdf[-1] - nz, 1)
            lut = np.clip(np.rint((cdf - nz) * 255.0 / denom), 0, 255).astype(np.uint8)
            out[..., c] = lut[ch]
            continue
        lo, hi = float(ch.min()), float(ch.max())
        if hi == lo:
            out[..., c] = ch
            continue
        idx = np.minimum(((ch - lo) / (hi - lo) * bins).astype(np.intp), bins - 1)
        cdf = np.cumsum(np.bincount(idx.ravel(), minlength=bins)).astype(np.float64)
        cdf = (cdf - cdf[0]) / max(cdf[-1] - cdf[0], 1)
        out[..., c] = saturate(lo + cdf[idx] * (hi - lo), a.dtype)
    return out


def ct_window(a, center, width, out_min=0.0, out_max=1.0):
    """Clip to the window ``center +- width/2`` and map it linearly to ``[out_min, out_max]``.

    The result is float32 (e.g. Hounsfield units to [0, 1] for a lung or bone window).
    """
    lo = center - width / 2.0
    x = (a.astype(np.float32) - np.float32(lo)) / np.float32(width)
    np.clip(x, 0, 1, out=x)
    return (x * np.float32(out_max - out_min) + np.float32(out_min)).astype(np.float32)


def _clahe_plane(v, clip_limit, grid):
    """CLAHE of one uint8 plane ``(H, W)``; returns the mapped values as float64 (0..255)."""
    gy, gx = grid
    h, w = v.shape
    # OpenCV pads by (tiles - size % tiles) on both axes as soon as one is not divisible
    ph, pw = (0, 0) if h % gy == 0 and w % gx == 0 else (gy - h % gy, gx - w % gx)
    th, tw = (h + ph) // gy, (w + pw) // gx
    pad = np.pad(v, ((0, ph), (0, pw)), mode="reflect" if min(h, w) > 1 else "edge")
    tiles = pad.reshape(gy, th, gx, tw).transpose(0, 2, 1, 3).reshape(gy * gx, th * tw)
    n = gy * gx
    hist = np.bincount((tiles + (np.arange(n, dtype=np.intp) * 256)[:, None]).ravel(),
                       minlength=n * 256).reshape(n, 256).astype(np.float64)
    # integer clip and redistribution exactly as OpenCV does it
    limit = max(int(clip_limit * th * tw / 256.0), 1)
    clipped = np.clip(hist - limit, 0, None).sum(axis=1).astype(np.int64)
    hist = np.minimum(hist, limit) + (clipped // 256)[:, None]
    for t, r in enumerate(clipped % 256):
        if r:
            step = max(256 // int(r), 1)
            hist[t, np.arange(0, 256, step)[:r]] += 1
    lut = np.clip(np.rint(np.cumsum(hist, axis=1) * (255.0 / (th * tw))), 0, 255)
    lut = lut.reshape(gy, gx, 256)
    fy = np.arange(h) / th - 0.5
    fx = np.arange(w) / tw - 0.5
    y0f, x0f = np.floor(fy), np.floor(fx)
    wy = (fy - y0f)[:, None]
    wx = (fx - x0f)[None, :]
    y0 = np.clip(y0f, 0, gy - 1).astype(np.intp)
    x0 = np.clip(x0f, 0, gx - 1).astype(np.intp)
    y1 = np.clip(y0f + 1, 0, gy - 1).astype(np.intp)
    x1 = np.clip(x0f + 1, 0, gx - 1).astype(np.intp)
    Y0, Y1, X0, X1 = y0[:, None], y1[:, None], x0[None, :], x1[None, :]
    return (1 - wy) * ((1 - wx) * lut[Y0, X0, v] + wx * lut[Y0, X1, v]) + \
        wy * ((1 - wx) * lut[Y1, X0, v] + wx * lut[Y1, X1, v])


def clahe(a, clip_limit=2.0, grid=(8, 8)):
    """Contrast-limited adaptive histogram equalisation of each channel.

    The image is cut into ``grid`` = (rows, cols) tiles; each tile's histogram is clipped
    at ``clip_limit`` times its mean bin height, the excess spread evenly, and pixels map
    through the tiles' equalisation curves interpolated bilinearly between tile centres
    (OpenCV's ``createCLAHE`` rules). Integer data other than uint8 and float data use 256
    bins between the channel's min and max.

    A volume ``(D, H, W, C)`` is equalised slice by slice along the first (z) axis, every
    slice with its own tiles; the 256 bins of non-uint8 data span the whole volume's
    range, so all slices share one intensity scale.
    """
    if a.ndim not in (3, 4):
        raise ValueError(f"clahe: expected (H, W, C) or (D, H, W, C), got shape {a.shape}")
    grid = tuple(int(g) for g in grid)
    out = np.empty_like(a)
    for c in range(a.shape[-1]):
        ch = a[..., c]
        if a.dtype == np.uint8:
            v, lo, span = ch, 0.0, 255.0
        else:
            lo, hi = float(ch.min()), float(ch.max())
            span = hi - lo or 1.0
            v = np.clip(np.rint((ch - lo) / span * 255), 0, 255).astype(np.uint8)
        for idx in np.ndindex(a.shape[:-3]):  # one plane, or every z slice of a volume
            r = _clahe_plane(v[idx], clip_limit, grid)
            out[idx + (Ellipsis, c)] = saturate(r if a.dtype == np.uint8 else
                                                lo + r / 255.0 * span, a.dtype)
    return out
