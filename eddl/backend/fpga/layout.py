"""The memory layouts of HLSinf's buffers, as the host prepares them before a launch.

HLSinf reads CPI channels of one pixel at a time, so activations go to the card as
``N x G x H x W x CPI`` (``G = ceil(C / CPI)`` channel groups, the missing channels zero: EDDL's
"GHWC" format) and filters as ``GO x GI x CPO x CPI x KH x KW`` (EDDL's ``GIHWCPI``); batch
normalization goes as four values per output channel. The address formulas are those of EDDL's
``fpga_transform_nn`` and ``filter_IHW_to_GIHWCPI`` (src/hardware/fpga/fpga_core.cpp).
"""

import numpy as np

__all__ = ["padded", "to_ghwc", "from_ghwc", "filters_gihwcpi", "bn_values"]


def padded(n, block):
    """Return ``n`` rounded up to a multiple of ``block``."""
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    return -(-int(n) // block) * block


def _check(a, ndim, what):
    a = np.asarray(a)
    if a.ndim != ndim:
        raise ValueError(f"{what} must have {ndim} axes, got shape {a.shape}")
    return a


def to_ghwc(x, cpi):
    """Return ``N x C x H x W`` activations as a C-contiguous ``N x G x H x W x CPI`` array."""
    x = _check(x, 4, "to_ghwc: x")
    n, c, h, w = x.shape
    xp = np.zeros((n, padded(c, cpi), h, w), x.dtype)
    xp[:, :c] = x
    return np.ascontiguousarray(xp.reshape(n, -1, cpi, h, w).transpose(0, 1, 3, 4, 2))


def from_ghwc(y, channels):
    """Inverse of :func:`to_ghwc`: the first ``channels`` channels as ``N x C x H x W``."""
    y = _check(y, 5, "from_ghwc: y")
    n, g, h, w, cpi = y.shape
    if not 0 < channels <= g * cpi:
        raise ValueError(f"from_ghwc: {channels} channels do not fit {g} groups of {cpi}")
    return np.ascontiguousarray(y.transpose(0, 1, 4, 2, 3).reshape(n, g * cpi, h, w)[:, :channels])


def filters_gihwcpi(w, cpi, cpo):
    """Return ``F x C x KH x KW`` filters as a ``GO x GI x CPO x CPI x KH x KW`` array.

    Input and output channels are padded with zero filters to multiples of ``cpi`` and ``cpo``.
    """
    w = _check(w, 4, "filters_gihwcpi: w")
    f, c, kh, kw = w.shape
    wp = np.zeros((padded(f, cpo), padded(c, cpi), kh, kw), w.dtype)
    wp[:f, :c] = w
    go, gi = wp.shape[0] // cpo, wp.shape[1] // cpi
    return np.ascontiguousarray(wp.reshape(go, cpo, gi, cpi, kh, kw).transpose(0, 2, 1, 3, 4, 5))


def bn_values(beta, gamma, mean, var, channels):
    """Return the ``channels x 4`` batch-normalization buffer ``[beta, gamma, mean, var]``.

    ``channels`` (the padded output channels) may exceed the vectors' length; the rest is zero.
    """
    vecs = [np.asarray(v).ravel() for v in (beta, gamma, mean, var)]
    if len({v.size for v in vecs}) != 1 or vecs[0].size > channels:
        raise ValueError(f"bn_values: beta, gamma, mean and var must have one equal length of at "
                         f"most {channels}, got {[v.size for v in vecs]}")
    out = np.zeros((channels, 4), np.result_type(*vecs))
    out[:vecs[0].size] = np.stack(vecs, axis=1)
    return out
