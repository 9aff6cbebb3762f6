"""Tiled convolution kernels (eddl.backend.cpu._convtile): forward, input gradient (stride 1,
through the flipped weights) and weight gradient against a float64 einsum reference, in
float32 (register-blocked kernels) and float64 (BLAS), over tile splits, tails, groups,
dilation, strides, 1x1 convolutions and 1-3 spatial axes; gradients by finite differences."""

import itertools
import os
import sys

import numpy as np
import pytest

import eddl
from eddl.backend.cpu import conv

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402


def _windows(x, k, stride, pads, dil):
    """Zero-padded input and, per kernel offset, the slice of it that offset reads."""
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads])
    out = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nsp)]
    for kk in itertools.product(*[range(s) for s in k]):
        sl = tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + (out[i] - 1) * stride[i] + 1, stride[i])
                   for i in range(nsp))
        yield xp, kk, (slice(None), slice(None)) + sl


def reference(x, w, dy, stride, pads, dil, groups):
    """float64 ``y = conv(x, w)``, ``dx`` and ``dw`` for the output gradient ``dy``."""
    x, w, dy = (a.astype(np.float64) for a in (x, w, dy))
    f, cg = w.shape[:2]
    fg = f // groups
    y = np.zeros(dy.shape)
    dxp, dw = None, np.zeros(w.shape)
    for xp, kk, sl in _windows(x, w.shape[2:], stride, pads, dil):
        if dxp is None:
            dxp = np.zeros(xp.shape)
        patch = xp[sl]
        for g in range(groups):
            cs, fs = slice(g * cg, (g + 1) * cg), slice(g * fg, (g + 1) * fg)
            wk = w[(fs, slice(None)) + kk]
            y[:, fs] += np.einsum("nc...,fc->nf...", patch[:, cs], wk)
            dxp[(slice(None), cs) + sl[2:]] += np.einsum("nf...,fc->nc...", dy[:, fs], wk)
            pc, dyf = patch[:, cs], dy[:, fs]
            dw[(fs, slice(None)) + kk] += np.einsum(
                "ncs,nfs->fc", pc.reshape(pc.shape[:2] + (-1,)), dyf.reshape(dyf.shape[:2] + (-1,)))
    crop = tuple(slice(p[0], p[0] + n) for p, n in zip(pads, x.shape[2:]))
    return y, dxp[(slice(None), slice(None)) + crop], dw


@pytest.fixture
def tiled(monkeypatch):
    """Every convolution on the tiled kernels, with small tiles (several per sample, starting
    mid-row) and two threads."""
    monkeypatch.setattr(conv, "TILED_MIN_PIXELS", 1)
    monkeypatch.setattr(conv, "TILED_MAX_WEIGHTS", 1 << 30)
    monkeypatch.setattr(conv, "FLIP_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "TILE_ELEMENTS", 300)
    monkeypatch.setattr(conv, "MIN_TILE", 1)
    monkeypatch.setattr(conv, "MIN_TILE_WGRAD", 1)
    prev = eddl.get_num_threads()
    eddl.set_num_threads(2)
    yield
    eddl.set_num_threads(prev)


CASES = [  # batch, channels, filters, spatial, kernel, stride, pads (before, after), dilation, groups
    (2, 3, 7, (13, 11), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    (1, 4, 13, (9, 17), (3, 2), (1, 1), ((1, 1), (0, 1)), (1, 1), 1),
    (2, 4, 6, (10, 9), (3, 3), (1, 1), ((2, 2), (2, 2)), (2, 2), 2),
    (3, 5, 5, (8, 7), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (2, 6, 4, (9, 8), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 2),
    (2, 3, 8, (11, 10), (3, 3), (2, 2), ((1, 1), (1, 0)), (1, 1), 1),
    (1, 2, 3, (12, 12), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), 1),
    (2, 3, 17, (21,), (5,), (1,), ((2, 2),), (1,), 1),
    (1, 2, 5, (5, 6, 7), (3, 3, 2), (1, 1, 1), ((1, 1), (1, 1), (0, 1)), (1, 1, 1), 1),
    (2, 4, 4, (6, 5, 6), (2, 3, 3), (1, 2, 1), ((0, 0), (1, 1), (1, 1)), (1, 1, 2), 2),
]


def _arrays(case, dtype, rng):
    n, c, f, sp, k, st, pads, dil, groups = case
    x = rng.standard_normal((n, c) + sp).astype(dtype)
    w = rng.standard_normal((f, c // groups) + k).astype(dtype)
    out = [(s + p[0] + p[1] - d * (kk - 1) - 1) // t + 1 for s, p, kk, t, d in zip(sp, pads, k, st, dil)]
    dy = rng.standard_normal((n, f) + tuple(out)).astype(dtype)
    return x, w, dy


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiled_kernels_match_reference(tiled, case, dtype):
    rng = np.random.default_rng(len(case[3]) * 7 + case[2])
    x, w, dy = _arrays(case, dtype, rng)
    st, pads, dil, groups = case[5], case[6], case[7], case[8]
    before = [p[0] for p in pads]
    y_ref, dx_ref, dw_ref = reference(x, w, dy, st, pads, dil, groups)
    tol = 1e-12 if dtype == np.float64 else 3e-5
    y = conv.conv_forward(x, w, np.full(dy.shape, np.nan, dtype), st, before, dil, groups)
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol * 10)
    dx = conv.conv_backward_data(dy, w, np.full(x.shape, np.nan, dtype), st, before, dil, groups)
    np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol * 10)
    dw = conv.conv_backward_weights(x, dy, np.full(w.shape, np.nan, dtype), st, before, dil, groups)
    np.testing.assert_allclose(dw, dw_ref, rtol=tol, atol=tol * 100)
    # accumulate adds to what is there
    base = rng.standard_normal(dy.shape).astype(dtype)
    got = conv.conv_forward(x, w, base.copy(), st, before, dil, groups, accumulate=True)
    np.testing.assert_allclose(got, base + y_ref, rtol=tol, atol=tol * 10)
    base = rng.standard_normal(x.shape).astype(dtype)
    got = conv.conv_backward_data(dy, w, base.copy(), st, before, dil, groups, accumulate=True)
    np.testing.assert_allclose(got, base + dx_ref, rtol=tol, atol=tol * 10)
    base = rng.standard_normal(w.shape).astype(dtype)
    got = conv.conv_backward_weights(x, dy, base.copy(), st, before, dil, groups, accumulate=True)
    np.testing.assert_allclose(got, base + dw_ref, rtol=tol, atol=tol * 100)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("filters", [1, 6, 16, 23])
def test_default_dispatch_on_large_images(threads, filters):
    # the default thresholds: a 40x40 image takes the tiled kernels with cache-sized tiles,
    # several per sample, the last one narrower than 16 pixels for some widths
    rng = np.random.default_rng(filters)
    case = (2, 8, filters, (40, 41), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv._tiled((40, 41), np.empty((filters, 8, 3, 3)))
    assert 8 >= conv.FLIP_MIN_CHANNELS
    prev = eddl.get_num_threads()
    eddl.set_num_threads(threads)
    try:
        x, w, dy = _arrays(case, np.float32, rng)
        y_ref, dx_ref, dw_ref = reference(x, w, dy, (1, 1), case[6], (1, 1), 1)
        y = conv.conv_forward(x, w, np.empty(dy.shape, np.float32), (1, 1), (1, 1), (1, 1))
        dx = conv.conv_backward_data(dy, w, np.empty(x.shape, np.float32), (1, 1), (1, 1), (1, 1))
        dw = conv.conv_backward_weights(x, dy, np.empty(w.shape, np.float32), (1, 1), (1, 1), (1, 1))
    finally:
        eddl.set_num_threads(prev)
    np.testing.assert_allclose(y, y_ref, rtol=3e-5, atol=3e-4)
    np.testing.assert_allclose(dx, dx_ref, rtol=3e-5, atol=3e-4)
    np.testing.assert_allclose(dw, dw_ref, rtol=3e-5, atol=3e-2)


def test_weight_gradient_is_deterministic(tiled):
    rng = np.random.default_rng(9)
    x, w, dy = _arrays(CASES[0], np.float32, rng)
    first = conv.conv_backward_weights(x, dy, np.empty_like(w), (1, 1), (1, 1), (1, 1))
    for _ in range(20):
        again = conv.conv_backward_weights(x, dy, np.empty_like(w), (1, 1), (1, 1), (1, 1))
        assert np.array_equal(first, again)


def test_tile_width_splits_small_batches():
    # batch 1 still gives every thread tiles; tiles are whole 16-pixel blocks
    assert conv._tile_width(1, (16, 16), 1152, 2, 64) < 256
    assert conv._tile_width(1, (16, 16), 1152, 2, 64) % 16 == 0
    assert conv._tile_width(8, (128, 128), 144, 2, 64) == 448
    assert conv._tile_width(3, (5,), 9, 4, 64) == 5


def test_kernels_reject_small_workspaces():
    from eddl.backend.cpu import _convtile
    x = np.zeros((1, 2, 6, 6, 6), np.float32)
    w = np.zeros((3, 2, 3, 3, 3), np.float32)
    y = np.zeros((1, 3, 4, 4, 4), np.float32)
    geo = ((1, 1, 1), (0, 0, 0), (1, 1, 1), 1)
    need = _convtile.scratch_size(54, 16, 3)
    with pytest.raises(ValueError, match="workspace"):
        _convtile.conv_tiled(x, w, y, *geo, np.zeros(need - 1, np.float32), 16, False, 1)
    with pytest.raises(ValueError, match="workspace"):
        _convtile.weight_grad_tiled(x, y, w, *geo, np.zeros(need, np.float32),
                                    np.zeros(w.size - 1, np.float32), 16, False, 1)
    with pytest.raises(ValueError, match="tile width"):
        _convtile.conv_tiled(x, w, y, *geo, np.zeros(need, np.float32), 0, False, 1)
    with pytest.raises(ValueError, match="flipped"):
        _convtile.flip_weights(w, np.zeros((3, 3, 3, 3, 3), np.float32), 1)


@pytest.mark.parametrize("make,shape", [
    (lambda i: eddl.Conv2D(i, 3, [3, 3], [1, 1], "same", True, 1, [1, 1]), (2, 5, 6)),
    (lambda i: eddl.Conv2D(i, 4, [3, 2], [1, 1], "same", True, 2, [2, 1]), (2, 6, 5)),
    (lambda i: eddl.Conv2D(i, 2, [1, 1], [1, 1], "valid", False), (3, 4, 5)),
    (lambda i: eddl.Conv2D(i, 2, [3, 3], [2, 2], "same", True), (2, 7, 6)),
    (lambda i: eddl.ConvT2D(i, 2, [2, 2], [2, 2], "valid"), (3, 3, 4)),
    (lambda i: eddl.Conv3D(i, 2, [3, 3, 3], [1, 1, 1], "same"), (2, 3, 4, 3)),
])
def test_tiled_gradients_by_finite_differences(tiled, make, shape):
    check_gradients(make, [shape], batch=2)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("case", [
    (1, 40, 100, (7, 7), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),   # rows split, 49 columns
    (1, 24, 70, (5, 6), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 2),   # grouped, odd row count
    (2, 80, 72, (3, 4), (3, 3), (2, 1), ((1, 1), (1, 1)), (1, 1), 1)])  # strided, two samples
def test_batch_wide_gemms_split_rows_when_the_image_is_small(threads, case):
    # deep layers at batch 1 have too few output columns to split; their GEMMs split the
    # filters (rows) over the threads instead, in whole blocks of 8
    rng = np.random.default_rng(threads)
    x, w, dy = _arrays(case, np.float32, rng)
    stride, pads = case[5], case[6]
    assert not conv._tiled(dy.shape[2:], w)
    y_ref, dx_ref, dw_ref = reference(x, w, dy, stride, pads, case[7], case[8])
    prev = eddl.get_num_threads()
    eddl.set_num_threads(threads)
    try:
        before = [p[0] for p in pads]
        y = conv.conv_forward(x, w, np.empty(dy.shape, np.float32), stride, before, case[7], case[8])
        dx = conv.conv_backward_data(dy, w, np.empty(x.shape, np.float32), stride, before,
                                     case[7], case[8])
        dw = conv.conv_backward_weights(x, dy, np.empty(w.shape, np.float32), stride, before,
                                        case[7], case[8])
    finally:
        eddl.set_num_threads(prev)
    for got, ref in ((y, y_ref), (dx, dx_ref), (dw, dw_ref)):
        np.testing.assert_allclose(got, ref, rtol=3e-5, atol=3e-4 * np.abs(ref).max())
