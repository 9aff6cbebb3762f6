"""Reductions of the CPU backend against float64 NumPy references."""

import importlib

import numpy as np
import pytest

import eddl
from eddl.backend.cpu import _kernels, reduce

reduce_mod = importlib.import_module("eddl.backend.cpu.reduce")

RNG = np.random.default_rng(7)
FLOATS = [np.float32, np.float64]
OPS = ["sum", "mean", "max", "min", "argmax", "argmin"]


@pytest.fixture(autouse=True)
def always_compiled(monkeypatch):
    """Send even small arrays to the kernels (production sends them to NumPy)."""
    monkeypatch.setattr(reduce_mod, "MIN_FAST", 0)


def _ref(name, x, axis, keepdims):
    with np.errstate(invalid="ignore"):
        return _ref_raw(name, x, axis, keepdims)


def _ref_raw(name, x, axis, keepdims):
    fn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
          "argmax": np.argmax, "argmin": np.argmin}[name]
    return fn(x.astype(np.float64), axis=axis, keepdims=keepdims)


def _adjacent(axis, ndim):
    if axis is None or np.ndim(axis) == 0:
        return True
    ax = sorted(a % ndim for a in axis)
    return ax[-1] - ax[0] == len(ax) - 1


def _check(name, x, axis=None, keepdims=False):
    got = reduce(name, x, axis=axis, keepdims=keepdims)
    want = _ref(name, x, axis, keepdims)
    assert np.shape(got) == np.shape(want), (name, axis, np.shape(got), np.shape(want))
    if name.startswith("arg"):
        assert np.asarray(got).dtype == np.intp
        np.testing.assert_array_equal(got, want)
        return
    assert np.asarray(got).dtype == x.dtype
    if name in ("max", "min"):
        np.testing.assert_array_equal(got, want.astype(x.dtype))
    else:
        # Bound: half an ulp of rounding the result, plus for float32 the leaves of 8 elements
        # summed in float32 (7 roundings of 2**-24 relative to their sum of |x|), plus the
        # double-precision accumulation above them.
        r = np.asarray(want).astype(x.dtype)
        mag = np.sum(np.abs(x.astype(np.float64)), axis=axis, keepdims=keepdims)
        mag = np.where(np.isfinite(mag), mag, 0)
        if name == "mean":
            mag = mag / (x.size / np.size(want))
        with np.errstate(invalid="ignore"):
            tol = np.spacing(np.abs(r)).astype(np.float64) * 0.5 + mag * 1e-13
        if x.dtype == np.float32:
            tol = tol + mag * 7 * 2.0**-24
        if not _adjacent(axis, x.ndim):  # NumPy's own float32 accumulation
            tol = tol + mag * np.finfo(x.dtype).eps * 4
        got64, want = np.asarray(got, np.float64), np.asarray(want)
        fin = np.isfinite(want)
        np.testing.assert_array_equal(got64[~fin], want[~fin])
        err = np.abs(got64 - want)[fin]
        assert (err <= (tol + 1e-300)[fin]).all(), (name, axis, err.max())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", OPS)
def test_all_axes_and_single_axes(name, dtype):
    x = RNG.standard_normal((7, 33, 41)).astype(dtype)
    axes = [None, 0, 1, 2, -1]
    if not name.startswith("arg"):
        axes += [(0, 1), (1, 2), (0, 1, 2), (0, 2)]
    for axis in axes:
        for keepdims in (False, True):
            _check(name, x, axis, keepdims)


@pytest.mark.parametrize("name", OPS)
def test_long_rows_and_many_chunks(name):
    x = RNG.standard_normal((3, 70001)).astype(np.float32)
    _check(name, x)
    _check(name, x, axis=1)
    _check(name, x, axis=0)
    _check(name, x.reshape(-1))


def test_sum_float32_accuracy_on_1e7_elements():
    x = RNG.uniform(0, 1, 10**7).astype(np.float32)
    want = x.astype(np.float64).sum()
    got = reduce("sum", x)
    assert got.dtype == np.float32
    assert abs(float(got) - want) <= np.spacing(np.float32(want))
    assert abs(float(reduce("mean", x)) - want / x.size) <= np.spacing(np.float32(0.5))


@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_and_inf(dtype):
    x = RNG.standard_normal(50000).astype(dtype)
    x[123] = np.inf
    x[40000] = -np.inf
    for name in OPS:
        _check(name, x)
    x[30001] = np.nan
    x[45000] = np.nan
    for name in OPS:
        got, want = reduce(name, x), _ref(name, x, None, False)
        if name.startswith("arg"):
            assert got == want == 30001
        else:
            assert np.isnan(got) and np.isnan(want)
    m = RNG.standard_normal((50, 40)).astype(dtype)
    m[3, 5] = np.nan
    m[10, 0] = -0.0
    for name in OPS:
        for axis in (0, 1):
            _check(name, m, axis)


def test_ties_return_first_index():
    x = np.zeros(100000, np.float32)
    x[[500, 70000, 99999]] = 3
    x[[10, 60000]] = -1
    assert reduce("argmax", x) == 500
    assert reduce("argmin", x) == 10


def test_fallbacks_keep_numpy_semantics():
    xi = np.arange(24).reshape(2, 3, 4)
    assert reduce("sum", xi).dtype == np.sum(xi).dtype
    x = RNG.standard_normal((6, 5)).astype(np.float32)
    np.testing.assert_array_equal(reduce("max", x.T, axis=0), x.T.max(axis=0))
    np.testing.assert_allclose(reduce("std", x, axis=1), x.std(axis=1))
    assert reduce("sum", np.zeros((0, 3), np.float32)).dtype == np.float32
    with pytest.raises(ValueError):
        reduce("max", np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="unknown reduction"):
        reduce("nope", x)
    with pytest.raises(np.exceptions.AxisError):
        reduce("sum", np.ones((3, 4), np.float32), axis=2)
    with pytest.raises(np.exceptions.AxisError):
        reduce("argmax", np.ones((3, 4), np.float32), axis=-3)


def test_threads_give_identical_results(monkeypatch):
    monkeypatch.setattr(reduce_mod, "MIN_THREADED", 0)
    x = RNG.standard_normal((4, 200003)).astype(np.float32)
    prev = eddl.set_num_threads(1)
    try:
        one = [reduce(n, x, axis=a) for n in OPS for a in (None, 0, 1)]
        eddl.set_num_threads(2)
        two = [reduce(n, x, axis=a) for n in OPS for a in (None, 0, 1)]
    finally:
        eddl.set_num_threads(prev)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)


def test_kernel_rejects_bad_layouts():
    x = np.ones((4, 6), np.float32)
    with pytest.raises(ValueError):
        _kernels.reduce_rows("sum", x, 5, 1)
    with pytest.raises(ValueError):
        _kernels.reduce_rows("sum", x.T, 4, 1)
    with pytest.raises(TypeError):
        _kernels.reduce_rows("sum", x.astype(np.int32), 4, 1)
    with pytest.raises(ValueError):
        _kernels.reduce_mid("sum", x, 2, 2, np.empty(6, np.float32), 1)
    with pytest.raises(ValueError):
        _kernels.binary("add", x, 6, 1, x, 0, 1, np.empty((5, 6), np.float32), 5, 6, 1)
    with pytest.raises(ValueError):
        _kernels.binary("add", x[0], 6, 1, x, 6, 1, np.empty((4, 6), np.float32), 4, 6, 1)
