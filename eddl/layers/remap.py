"""Nearest-neighbour remapping shared by the data-augmentation layers of :mod:`.da`.

A :class:`Remap` layer computes, for each output pixel of a sample, the flat index of the input
pixel it copies (or -1 for the constant fill); forward gathers through that map and backward
scatters the gradient back through it. :class:`Affine` builds the map from a per-sample affine
transform about the image centre. The border modes follow ``da_mode``.
"""

import numpy as np

from .base import TRMODE, Layer

__all__ = ["MODES", "Remap", "Affine", "reflect_index", "range2", "finite", "check_mode"]

MODES = ("constant", "nearest", "reflect", "mirror", "wrap", "original")


def range2(v, what, lo=None, hi=None):
    """Return ``v`` as a ``(min, max)`` pair of floats within ``[lo, hi]``.

    Parameters
    ----------
    v : sequence of two numbers
        The ``[min, max]`` pair; ``min`` must not exceed ``max``.
    what : str
        What ``v`` is, for the error message.
    lo, hi : float, optional
        Bounds of the allowed range (None: unbounded).

    Raises
    ------
    ValueError
        When ``v`` is not a pair of numbers or the range is invalid.
    """
    try:
        a, b = (float(t) for t in v)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a [min, max] pair, got {v!r}") from None
    if a > b or (lo is not None and a < lo) or (hi is not None and b > hi):
        raise ValueError(f"{what}: invalid range [{a}, {b}]" +
                         (f" (allowed [{lo}, {hi}])" if lo is not None else ""))
    return a, b


class Remap(Layer):
    """Base: subclasses return the ``N x (Ho * Wo)`` source index map of a batch."""

    da_mode = "constant"
    constant = 0.0
    always = False

    def compute_shape(self, s):
        if len(s) != 3:
            raise self.rank_error(s, "a C x H x W input (3-D samples)", "[C, H, W]")
        return self.out_shape(s)

    def out_shape(self, s):
        return s

    def active(self):
        return self.always or self.mode == TRMODE

    def _grid(self):
        xp = self.be.xp
        ho, wo = self.shape[1:]
        i = xp.arange(ho, dtype="float64")[:, None] + xp.zeros((1, wo))
        j = xp.arange(wo, dtype="float64")[None, :] + xp.zeros((ho, 1))
        return i, j

    def _wrap(self, si, sj):
        """Integer source coordinates -> flat indices with this layer's border mode."""
        xp = self.be.xp
        h, w = self.parents[0].shape[1:]
        si = xp.floor(si + 0.5).astype("int64")
        sj = xp.floor(sj + 0.5).astype("int64")
        inside = (si >= 0) & (si < h) & (sj >= 0) & (sj < w)
        mode = self.da_mode
        if mode == "nearest":
            si, sj = xp.clip(si, 0, h - 1), xp.clip(sj, 0, w - 1)
        elif mode == "wrap":
            si, sj = si % h, sj % w
        elif mode in ("reflect", "mirror"):
            si = reflect_index(si, h, mode, xp)
            sj = reflect_index(sj, w, mode, xp)
        idx = si * w + sj
        if mode == "constant":
            idx = xp.where(inside, idx, -1)
        elif mode == "original":
            i, j = self._grid()
            idx = xp.where(inside, idx, (i.astype("int64") * w + j.astype("int64"))[None])
        return idx.reshape(idx.shape[0], -1)

    def forward(self):
        xp = self.be.xp
        x = self.parents[0].output
        n, c = x.shape[:2]
        if not self.active() and self.shape == self.parents[0].shape:
            self.output[...] = x
            self._idx = None
            return
        idx = self.index_map(n)
        self._idx = idx
        src = x.reshape(n, c, -1)
        safe = xp.maximum(idx, 0)[:, None, :]
        vals = xp.take_along_axis(src, xp.broadcast_to(safe, (n, c, safe.shape[2])), axis=2)
        out = self.output.reshape(n, c, -1)
        out[...] = vals
        if (idx < 0).any():
            out[...] = xp.where((idx < 0)[:, None, :], self.constant, out)

    def backward(self):
        xp = self.be.xp

        def write(dst):
            if self._idx is None:
                dst[...] = self.delta
                return
            # one scatter-add for the whole batch: flat destination index of every kept value
            n, c = dst.shape[:2]
            hw = dst[0, 0].size
            idx = self._idx
            base = (xp.arange(n * c, dtype=idx.dtype) * hw).reshape(n, c, 1)
            keep = xp.broadcast_to((idx >= 0)[:, None, :], (n, c, idx.shape[1]))
            flat = (base + idx[:, None, :])[keep]
            vals = self.delta.reshape(n, c, -1)[keep]
            dst.reshape(-1)[...] = xp.bincount(flat, weights=vals, minlength=n * c * hw)
        self.put_delta(0, write)

    def index_map(self, n):
        raise NotImplementedError


def reflect_index(v, n, mode, xp=np):
    """Fold integer coordinates ``v`` into ``[0, n)``.

    ``"reflect"`` reflects about the edge pixels (``d c b | a b c d | c b a``); ``"mirror"``
    repeats them (``c b a | a b c d | d c b``).

    Parameters
    ----------
    v : int or array of int
    n : int
        Axis length.
    mode : {"reflect", "mirror"}
    xp : module
        Array namespace of ``v``.

    Returns
    -------
    int or array of int

    Examples
    --------
    >>> [int(reflect_index(i, 4, "reflect")) for i in (-2, -1, 4, 5)]
    [2, 1, 2, 1]
    >>> [int(reflect_index(i, 4, "mirror")) for i in (-2, -1, 4, 5)]
    [1, 0, 3, 2]
    """
    if n == 1:
        return xp.zeros_like(v)
    if mode == "mirror":
        v = v % (2 * n)
        return xp.where(v >= n, 2 * n - 1 - v, v)
    period = 2 * n - 2
    v = xp.abs(v) % period
    return xp.where(v >= n, period - v, v)


class Affine(Remap):
    """Remaps by a per-sample affine map of output to input coordinates (about the centre)."""

    def draw(self, rng, n):
        """Per sample ``(angle_deg, scale_y, scale_x, shift_y, shift_x)`` arrays."""
        raise NotImplementedError

    def index_map(self, n):
        xp = self.be.xp
        h, w = self.parents[0].shape[1:]
        ang, sy, sx, ty, tx = (xp.asarray(v, dtype="float64").reshape(n, 1, 1)
                               for v in self.draw(self.net.rng, n))
        i, j = self._grid()
        cy = (h - 1) / 2.0 + getattr(self, "offset", (0, 0))[0]
        cx = (w - 1) / 2.0 + getattr(self, "offset", (0, 0))[1]
        yi, xj = i[None] - cy - ty, j[None] - cx - tx
        t = xp.deg2rad(ang)
        cos, sin = xp.cos(t), xp.sin(t)
        si = (cos * yi - sin * xj) / sy + cy
        sj = (sin * yi + cos * xj) / sx + cx
        return self._wrap(si, sj)



def finite(v, what, layer):
    """Return ``v`` as a float, or raise ValueError naming ``layer`` and ``what``.

    Raises
    ------
    ValueError
        When ``v`` is not a number or not finite.
    """
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: {what} must be a number, got {v!r}") from None
    if not np.isfinite(f):
        raise ValueError(f"{layer}: {what} must be finite, got {v!r}")
    return f


def check_mode(m, what):
    """Return the border mode ``m``, or raise ValueError when it is not one of :data:`MODES`."""
    if m not in MODES:
        raise ValueError(f"{what}: da_mode must be one of {MODES}, got {m!r}")
    return m
