"""GEMM of the CPU backend against a float64 NumPy reference."""

import itertools

import numpy as np
import pytest

from eddl.backend.cpu import gemm, gemm_batched

RNG = np.random.default_rng(0)
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _ref(a, b, ta, tb):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return (np.swapaxes(a, -1, -2) if ta else a) @ (np.swapaxes(b, -1, -2) if tb else b)


def _close(got, want, dtype):
    scale = max(1.0, float(np.abs(want).max(initial=0)))
    assert np.abs(got.astype(np.float64) - want).max(initial=0) <= TOL[dtype] * scale * 10


def _layouts(x):
    """The same matrix as C-contiguous, Fortran, row-strided, column-strided and reversed."""
    r, c = x.shape
    big = np.zeros((r * 2, c * 3), x.dtype)
    big[::2, ::3] = x
    padded = np.zeros((r, c + 5), x.dtype)
    padded[:, :c] = x
    return {
        "c": x.copy(), "f": np.asfortranarray(x), "rowstride": padded[:, :c],
        "strided": big[::2, ::3], "reversed": x[::-1].copy()[::-1],
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_gemm_transposes_and_layouts(dtype, ta, tb):
    m, k, n = 7, 13, 5
    a = RNG.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = RNG.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    want = _ref(a, b, ta, tb)
    for (la, va), (lb, vb) in itertools.product(_layouts(a).items(), _layouts(b).items()):
        got = gemm(va, vb, trans_a=ta, trans_b=tb)
        assert got.dtype == dtype and got.shape == (m, n), (la, lb)
        _close(got, want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_alpha_beta_out(dtype):
    a = RNG.standard_normal((6, 4)).astype(dtype)
    b = RNG.standard_normal((4, 9)).astype(dtype)
    c0 = RNG.standard_normal((6, 9)).astype(dtype)
    want = 0.5 * _ref(a, b, False, False) - 2.0 * c0
    for out in (c0.copy(), np.asfortranarray(c0), np.zeros((6, 18), dtype)[:, ::2], np.zeros((6, 15), dtype)[:, 3:12]):
        out[...] = c0
        res = gemm(a, b, out=out, alpha=0.5, beta=-2.0)
        assert res is out
        _close(out, want, dtype)


def test_gemm_beta_zero_ignores_nan_in_out():
    a = np.ones((3, 3), np.float32)
    out = np.full((3, 3), np.nan, np.float32)
    gemm(a, a, out=out)
    assert np.all(out == 3)


def test_gemm_out_aliases_input():
    a = RNG.standard_normal((5, 5))
    want = _ref(a, a, False, True)
    gemm(a, a, out=a, trans_b=True)
    _close(a, want, np.float64)


def test_gemm_mixed_and_integer_dtypes():
    a32 = RNG.standard_normal((3, 4)).astype(np.float32)
    b64 = RNG.standard_normal((4, 2))
    got = gemm(a32, b64)
    assert got.dtype == np.float64
    _close(got, _ref(a32, b64, False, False), np.float64)
    ai = np.arange(12).reshape(3, 4)
    assert np.array_equal(gemm(ai, ai, trans_b=True), ai @ ai.T)
    out32 = np.empty((3, 2), np.float32)
    gemm(a32, b64, out=out32)
    _close(out32, _ref(a32, b64, False, False), np.float32)


@pytest.mark.parametrize("shape", [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0)])
def test_gemm_zero_size(shape):
    m, k, n = shape
    a = np.ones((m, k), np.float32)
    b = np.ones((k, n), np.float32)
    assert gemm(a, b).shape == (m, n)
    assert np.all(gemm(a, b) == 0)
    out = np.full((m, n), 2.0, np.float32)
    gemm(a, b, out=out, beta=3.0)
    assert np.all(out == 6.0)


def test_gemm_single_row_and_column():
    a = RNG.standard_normal((1, 8)).astype(np.float32)
    b = RNG.standard_normal((8, 1)).astype(np.float32)
    _close(gemm(a, b), _ref(a, b, False, False), np.float32)
    _close(gemm(b, a), _ref(b, a, False, False), np.float32)
    big = RNG.standard_normal((8, 8)).astype(np.float32)
    _close(gemm(big[:1, ::2], big[::2, :1]), _ref(big[:1, ::2], big[::2, :1], False, False),
           np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_batched(dtype):
    x = RNG.standard_normal((4, 5, 7)).astype(dtype)
    w = RNG.standard_normal((3, 7)).astype(dtype)
    _close(gemm_batched(x, w, trans_b=True), _ref(x, w, False, True), dtype)
    y = RNG.standard_normal((4, 7, 2)).astype(dtype)
    _close(gemm_batched(x, y), _ref(x, y, False, False), dtype)
    _close(gemm_batched(x[:, ::-1, ::2], y[:, ::2]), _ref(x[:, ::-1, ::2], y[:, ::2], 0, 0),
           dtype)
    out = np.ones((4, 5, 2), dtype)
    gemm_batched(x, y, out=out, alpha=2.0, beta=1.0)
    _close(out, 2 * _ref(x, y, False, False) + 1, dtype)
    bcast = np.broadcast_to(w.T, (4, 7, 3))
    _close(gemm_batched(x, bcast), _ref(x, w.T, False, False), dtype)


def test_gemm_bad_input_raises():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="cannot multiply"):
        gemm(a, a)
    with pytest.raises(ValueError, match="2-D"):
        gemm(np.ones(3), a)
    with pytest.raises(ValueError, match="out of shape"):
        gemm(a, a, trans_b=True, out=np.empty((4, 4), np.float32))
    ro = np.empty((3, 3), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        gemm(a, a, trans_b=True, out=ro)
    with pytest.raises(TypeError, match="dtype"):
        gemm(a, a, trans_b=True, out=np.empty((3, 3), np.int32))
    with pytest.raises(ValueError, match="cannot multiply"):
        gemm_batched(np.ones((2, 3, 4)), np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="3-D"):
        gemm_batched(a, a)
