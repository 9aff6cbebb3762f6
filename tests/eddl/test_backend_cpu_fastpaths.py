"""Specialised CPU kernels against the generic loops they replace (bit-exact, same indices)."""

import numpy as np
import pytest

from eddl.backend.cpu import pool
from eddl.backend.cpu.conv import out_size


def _pool_both(x, k, s, p, extra=(0, 0)):
    oh = out_size(x.shape[2], k[0], s[0], p[0], p[0] + extra[0], 1)
    ow = out_size(x.shape[3], k[1], s[1], p[1], p[1] + extra[1], 1)
    res = []
    for fast in (True, False):
        y = np.full(x.shape[:2] + (oh, ow), 7, x.dtype)
        i = np.full(y.shape, -7, np.int32)
        pool.max_pool_forward(x, y, i, k, s, p, _fast=fast)
        res.append((y, i))
    return res


def _valid(hw, k, s, p):
    return min(out_size(n, kk, ss, pp, pp, 1) for n, kk, ss, pp in zip(hw, k, s, p)) >= 1


_CASES = [(hw, ksp) for hw in [(8, 8), (7, 9), (1, 2), (2, 1), (28, 28), (5, 4), (3, 3)]
          for ksp in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                      ((3, 2), (1, 2), (1, 0)), ((2, 2), (1, 1), (0, 0))]
          if _valid(hw, *ksp)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hw,ksp", _CASES)
def test_max_pool_2d_fast_paths_match_generic(dtype, hw, ksp):
    k, s, p = ksp
    rng = np.random.default_rng(hash((hw, k, s, p)) % 2**32)
    # small integers make ties common, so the first-maximum rule is exercised
    x = rng.integers(-3, 4, (3, 5) + hw).astype(dtype)
    x[0, 0].flat[rng.integers(0, x[0, 0].size)] = np.nan
    (yf, i_f), (yg, ig) = _pool_both(x, k, s, p)
    np.testing.assert_array_equal(yf, yg)
    np.testing.assert_array_equal(i_f, ig)
    assert (i_f >= 0).all()


@pytest.mark.parametrize("ksp", [((3, 3), (2, 2), (1, 1)), ((5, 3), (1, 3), (2, 1)),
                                 ((1, 4), (1, 4), (0, 2))])
def test_max_pool_runs_of_outputs_match_generic_with_infinities(ksp):
    # rows wider than one run of outputs, infinities of both signs (inf - inf sums to NaN and
    # takes the scalar rule), NaNs, and windows clipped on both sides
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 13, 301)).astype(np.float32)
    x[0, 0, 4, 10:20] = np.inf
    x[0, 1, 5, 30:40] = -np.inf
    x[1, 2, 6, 100] = np.inf
    x[1, 2, 6, 101] = -np.inf
    x[1, 0, 7, 200] = np.nan
    (yf, i_f), (yg, ig) = _pool_both(x, *ksp)
    np.testing.assert_array_equal(yf, yg)
    np.testing.assert_array_equal(i_f, ig)


def test_max_pool_2x2_matches_numpy_reference():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 9, 11))
    (y, i), _ = _pool_both(x, (2, 2), (2, 2), (0, 0))
    ref = x[:, :, :8, :10].reshape(4, 3, 4, 2, 5, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(4, 3, -1), i.reshape(4, 3, -1), 2),
                                  ref.reshape(4, 3, -1))


def test_max_pool_ceil_mode_clipped_window_uses_general_path():
    # the last window hangs over the edge: the unrolled 2x2 loop must not be taken
    x = np.arange(2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5)
    (yf, i_f), (yg, ig) = _pool_both(x, (2, 2), (2, 2), (0, 0), extra=(1, 1))
    assert yf.shape == (2, 1, 3, 3)
    np.testing.assert_array_equal(yf, yg)
    np.testing.assert_array_equal(i_f, ig)
    assert yf[0, 0, 2, 2] == x[0, 0, 4, 4]


def test_max_pool_nan_propagates_in_unrolled_path():
    x = np.zeros((1, 1, 2, 2), np.float32)
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 1, 1] = 5
    (y, i), _ = _pool_both(x, (2, 2), (2, 2), (0, 0))
    assert np.isnan(y[0, 0, 0, 0]) and i[0, 0, 0, 0] == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5, 1), (2, 3, 7), (4, 2, 8), (2, 3, 1029), (1, 2, 5000)])
def test_bias_grad_vectorised_sum_matches_float64(dtype, shape):
    from eddl.backend.cpu import conv
    rng = np.random.default_rng(sum(shape))
    dy = rng.standard_normal(shape).astype(dtype)
    out = np.full(shape[1], 0.5, dtype)
    conv.bias_grad(dy, out)
    ref = dy.astype(np.float64).sum(axis=(0, 2))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * np.sqrt(dy.size))
    conv.bias_grad(dy, out, accumulate=True)
    np.testing.assert_allclose(out, 2 * ref, rtol=tol, atol=2 * tol * np.sqrt(dy.size))
    # a non-contiguous view is rejected, not summed with the wrong strides
    with pytest.raises(ValueError, match="C-contiguous"):
        conv.bias_grad(np.zeros((2, shape[1], 8), dtype)[:, :, ::2], out)


@pytest.mark.parametrize("nthreads", [1, 2])
def test_conv_gemm_threading_modes_agree(monkeypatch, nthreads):
    # the column split over the kernel's threads and BLAS's own threading compute the same sums
    import eddl
    from eddl.backend.cpu import conv
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 9, 7))
    w = rng.standard_normal((6, 2, 3, 3))
    dy = rng.standard_normal((3, 6, 5, 4))
    args = ((2, 2), (1, 1), (1, 1), 2)
    res = {}
    prev = eddl.get_num_threads()
    eddl.set_num_threads(nthreads)
    try:
        for mode in (False, True):
            monkeypatch.setattr(conv, "BLAS_THREADED_GEMM", mode)
            y = conv.conv_forward(x, w, np.empty_like(dy), *args)
            dx = conv.conv_backward_data(dy, w, np.empty_like(x), *args)
            dw = conv.conv_backward_weights(x, dy, np.empty_like(w), *args)
            res[mode] = (y, dx, dw)
    finally:
        eddl.set_num_threads(prev)
    for a, b in zip(res[False], res[True]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # and both match a direct float64 sum
    ref = np.zeros_like(dy)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for g in range(2):
        for f in range(3 * g, 3 * g + 3):
            for i in range(5):
                for j in range(4):
                    patch = xp[:, 2 * g:2 * g + 2, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
                    ref[:, f, i, j] = (patch * w[f]).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(res[True][0], ref, rtol=1e-10, atol=1e-10)


def test_conv_throttles_scipys_blas_not_numpys():
    # NumPy's wheels ship an OpenBLAS also named "libscipy_openblas*"; the convolution GEMMs
    # call SciPy's, so that is the one whose threads must be controlled
    import os

    import scipy
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from eddl.backend.cpu import conv
    home = os.path.dirname(os.path.realpath(scipy.__file__))
    roots = (home + os.sep, home + ".libs" + os.sep)
    scipys = [c for c in threadpoolctl.ThreadpoolController().lib_controllers
              if c.user_api == "blas" and os.path.realpath(c.filepath).startswith(roots)]
    assert scipys, "SciPy's BLAS not found by threadpoolctl"
    prev = scipys[0].get_num_threads()
    with conv._BlasThreads(1):
        assert scipys[0].get_num_threads() == 1
    assert scipys[0].get_num_threads() == prev


def _values_only(x, k, s, p, extra=(0, 0)):
    oh = out_size(x.shape[2], k[0], s[0], p[0], p[0] + extra[0], 1)
    ow = out_size(x.shape[3], k[1], s[1], p[1], p[1] + extra[1], 1)
    y = np.full(x.shape[:2] + (oh, ow), 7, x.dtype)
    return pool.max_pool_forward(x, y, None, k, s, p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hw,ksp", _CASES)
def test_max_pool_values_without_positions_match_the_indexed_kernel(dtype, hw, ksp):
    k, s, p = ksp
    rng = np.random.default_rng(hash((hw, k, s, p, 1)) % 2**32)
    x = rng.standard_normal((3, 5) + hw).astype(dtype)
    x[0, 0].flat[rng.integers(0, x[0, 0].size)] = np.nan
    x[1, 1].flat[rng.integers(0, x[1, 1].size)] = -np.inf
    x[2, 2].flat[rng.integers(0, x[2, 2].size)] = np.inf
    for extra in [(0, 0), (1, 1)]:  # ceil mode: the last windows are clipped after the input
        if not _valid((hw[0] + extra[0], hw[1] + extra[1]), k, s, p):
            continue
        (want, _), _ = _pool_both(x, k, s, p, extra)
        np.testing.assert_array_equal(_values_only(x, k, s, p, extra), want)


@pytest.mark.parametrize("ksp", [((3, 3), (2, 2), (1, 1)), ((5, 3), (1, 3), (2, 1)),
                                 ((1, 4), (1, 4), (0, 2)), ((2, 2), (2, 2), (0, 0))])
def test_max_pool_values_on_wide_rows_with_infinities_and_threads(ksp):
    from _deephealth.runtime import get_num_threads, set_num_threads
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 13, 301)).astype(np.float32)
    x[0, 0, 4, 10:20] = np.inf
    x[1, 2, 6, 100] = np.inf
    x[1, 2, 6, 101] = -np.inf
    x[1, 0, 7, 200] = np.nan
    (want, _), _ = _pool_both(x, *ksp)
    before = get_num_threads()
    try:
        for nt in (1, 2, 3):
            set_num_threads(nt)
            np.testing.assert_array_equal(_values_only(x, *ksp), want)
    finally:
        set_num_threads(before)


def test_max_pool_values_of_3d_pools_fall_back_to_the_indexed_kernel():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 5, 6, 7)).astype(np.float32)
    want, got = np.empty((2, 3, 2, 3, 3), np.float32), np.empty((2, 3, 2, 3, 3), np.float32)
    pool.max_pool_forward(x, want, np.empty(want.shape, np.int32), (2, 2, 2), (2, 2, 2), (0, 0, 0))
    pool.max_pool_forward(x, got, None, (2, 2, 2), (2, 2, 2), (0, 0, 0))
    np.testing.assert_array_equal(got, want)
