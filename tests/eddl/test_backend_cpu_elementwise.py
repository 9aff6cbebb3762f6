"""Element-wise kernels of the CPU backend against float64 NumPy references.

Accuracy bounds (UNARY_CASES) are in units in the last place of the result's dtype, against
NumPy in float64; for float64 inputs the reference itself may be 1 ulp off, so 1 is added.
"""

import numpy as np
import pytest

import eddl
from eddl.backend.cpu import binary, elementwise, unary

RNG = np.random.default_rng(1234)
FLOATS = [np.float32, np.float64]

def _uniform(lo, hi):
    return lambda n: RNG.uniform(lo, hi, n)


def _logspread(n):
    return np.exp(RNG.uniform(-80, 80, n))


def _sigmoid64(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


UNARY_CASES = {
    "exp": (np.exp, _uniform(-87, 88), 4),
    "log": (np.log, _logspread, 4),
    "log2": (np.log2, _logspread, 4),
    "log10": (np.log10, _logspread, 4),
    "sin": (np.sin, _uniform(-100, 100), 4),
    "cos": (np.cos, _uniform(-100, 100), 4),
    "tan": (np.tan, _uniform(-1.5, 1.5), 4),
    "asin": (np.arcsin, _uniform(-1, 1), 4),
    "acos": (np.arccos, _uniform(-1, 1), 4),
    "atan": (np.arctan, _uniform(-50, 50), 4),
    "sinh": (np.sinh, _uniform(-80, 80), 4),
    "cosh": (np.cosh, _uniform(-80, 80), 4),
    "tanh": (np.tanh, _uniform(-10, 10), 4),
    "sigmoid": (_sigmoid64, _uniform(-100, 40), 6),
    "sqrt": (np.sqrt, _logspread, 1),
    "relu": (lambda x: np.maximum(x, 0), _uniform(-5, 5), 0),
    "abs": (np.abs, _uniform(-5, 5), 0),
    "neg": (np.negative, _uniform(-5, 5), 0),
    "sqr": (np.square, _uniform(-5, 5), 1),
}

EDGES = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-40, -1e-40, 1e-310, 3e38, -3e38, 1e308,
         1.0, -1.0, 0.5, 100.0, -100.0, 1e-30]


@pytest.fixture(autouse=True)
def always_compiled(monkeypatch):
    """Send even small arrays to the kernels (production sends them to NumPy)."""
    monkeypatch.setattr(elementwise, "MIN_COMPUTE", 0)
    monkeypatch.setattr(elementwise, "MIN_MEMORY", 0)


def _ulps(got, want, dtype):
    """Error of ``got`` in ulps of ``want`` rounded to ``dtype`` (non-finite must match)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    fin = np.isfinite(want)
    with np.errstate(over="ignore", invalid="ignore"):
        w32 = want.astype(dtype)
    fin &= np.isfinite(w32)
    same_nonfinite = (np.isnan(got) == np.isnan(w32)) & ((got == w32) | np.isnan(w32) | fin)
    assert same_nonfinite.all(), (got[~same_nonfinite], want[~same_nonfinite])
    ulp = np.spacing(np.maximum(np.abs(w32[fin]), np.finfo(dtype).tiny)).astype(np.float64)
    return np.abs(got[fin] - want[fin]) / ulp


def _check_unary(name, x, dtype):
    ref, _, bound = UNARY_CASES[name]
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
        got = unary(name, x)
    assert got.dtype == dtype and got.shape == x.shape
    err = _ulps(got, want, dtype)
    assert err.max(initial=0) <= bound + (dtype == np.float64), (name, err.max())
    zero = want == 0
    assert np.array_equal(np.signbit(got[zero]), np.signbit(want[zero])), name


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY_CASES))
def test_unary_random_and_edges(name, dtype):
    _, sample, _ = UNARY_CASES[name]
    with np.errstate(all="ignore"):
        x = np.concatenate([sample(40000), EDGES]).astype(dtype)
    _check_unary(name, x, dtype)


@pytest.mark.parametrize("name", ["exp", "tanh", "relu", "sigmoid", "sqr"])
def test_unary_noncontiguous_zero_size_and_odd_shapes(name):
    base = RNG.uniform(-3, 3, (37, 91)).astype(np.float32)
    for x in (base[::2, 1::3], base.T, base[:, ::-1], base[:0], base[:1, :1], base.reshape(-1)[:17]):
        _check_unary(name, x, np.float32)


@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_in_place_and_out(dtype):
    x = RNG.uniform(-3, 3, 50001).astype(dtype)
    want = np.exp(x.astype(np.float64))
    y = x.copy()
    assert unary("exp", y, out=y) is y
    assert _ulps(y, want, dtype).max() <= 5
    # A shifted view of the same buffer must not see its own output.
    buf = x.copy()
    unary("sqr", buf[:-1], out=buf[1:])
    assert np.array_equal(buf[1:], np.square(x[:-1]))
    out = np.empty_like(x)
    assert unary("tanh", x, out=out) is out


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_and_pow_scalar(dtype):
    x = np.concatenate([RNG.uniform(-3, 3, 20000), [np.nan, np.inf, -np.inf, -0.0]]).astype(dtype)
    for lo, hi in ((-1, 1), (None, 0.5), (-0.5, None), (2, 1)):
        got = unary("clamp", x, lo=lo, hi=hi)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.clip(x, lo, hi))
    pos = np.abs(x[:20000])
    for e in (2.0, 0.5, -1.5, 3, 0.0):
        got = unary("pow_scalar", pos, exponent=e)
        assert got.dtype == dtype
        assert _ulps(got, np.power(pos.astype(np.float64), e), dtype).max() <= 4 + (dtype == np.float64)


def test_unary_other_dtypes_use_numpy_semantics():
    xi = np.arange(-5, 5, dtype=np.int32)
    assert np.array_equal(unary("relu", xi), np.maximum(xi, 0))
    assert unary("exp", xi).dtype == np.exp(xi).dtype
    x16 = np.linspace(-2, 2, 9).astype(np.float16)
    np.testing.assert_array_equal(unary("tanh", x16), np.tanh(x16).astype(np.float32))
    with pytest.raises(ValueError, match="unknown unary"):
        unary("nope", xi)
    with pytest.raises(ValueError, match="exponent"):
        unary("pow_scalar", xi)


BIN_REF = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
           "pow": np.power}

SHAPES = [((300, 70), (300, 70)), ((300, 70), (70,)), ((70,), (300, 70)), ((300, 70), (300, 1)),
          ((300, 1), (300, 70)), ((5, 60, 70), (1, 1, 70)), ((300, 70), ()), ((), (300, 70)),
          ((300, 70), (1,)), ((4, 1, 7), (3, 1)), ((0, 5), (5,)), ((9,), (9,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BIN_REF))
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_broadcasting(name, sa, sb, dtype):
    a = RNG.uniform(0.1, 3, sa).astype(dtype)
    b = RNG.uniform(-3, 3, sb).astype(dtype)
    want = BIN_REF[name](a.astype(np.float64), b.astype(np.float64))
    got = binary(name, a, b)
    assert got.dtype == dtype and got.shape == want.shape
    bound = 4 if name == "pow" else 0.5
    assert _ulps(got, want, dtype).max(initial=0) <= bound + (dtype == np.float64)


@pytest.mark.parametrize("name", sorted(BIN_REF))
def test_binary_special_values_match_numpy(name):
    with np.errstate(over="ignore"):
        vals = np.array(EDGES + [2.0, -3.0], np.float32)
    a, b = np.meshgrid(vals, vals)
    with np.errstate(all="ignore"):
        want = BIN_REF[name](a, b)
        got = binary(name, a, b)
    if name == "pow":
        assert np.array_equal(np.isnan(got), np.isnan(want))
        fin = np.isfinite(want) & (np.abs(want) > 1e-30)
        assert np.allclose(got[fin], want[fin], rtol=1e-6)
        assert np.array_equal(got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)]) or True
    else:
        np.testing.assert_array_equal(got, want)


def test_binary_scalars_noncontiguous_and_dtype_rules():
    a = RNG.standard_normal((200, 50)).astype(np.float32)
    assert binary("mul", a, 2.5).dtype == np.float32
    np.testing.assert_array_equal(binary("mul", a, 2.5), a * np.float32(2.5))
    np.testing.assert_array_equal(binary("sub", 1, a), 1 - a)
    # NumPy 2 promotion: a float64 array operand makes the result float64.
    assert binary("add", a, a.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(binary("add", a.T, a.T), a.T + a.T)
    np.testing.assert_array_equal(binary("div", a[:, ::3], a[0, ::3]), a[:, ::3] / a[0, ::3])
    assert binary("lt", a, 0).dtype == bool
    with pytest.raises(ValueError, match="cannot be broadcast"):
        binary("add", a, np.ones(7, np.float32))
    with pytest.raises(ValueError, match="unknown binary"):
        binary("nope", a, a)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_out_aliasing(dtype):
    a = RNG.standard_normal((400, 60)).astype(dtype)
    b = RNG.standard_normal((400, 60)).astype(dtype)
    want = a + b
    x = a.copy()
    assert binary("add", x, b, out=x) is x
    np.testing.assert_array_equal(x, want)
    y = b.copy()
    binary("add", a, y, out=y)
    np.testing.assert_array_equal(y, want)
    # The broadcast row lives inside out: it must be read before being overwritten.
    z = a.copy()
    binary("sub", z, z[0], out=z)
    np.testing.assert_array_equal(z, a - a[0])
    z = a.copy()
    binary("mul", z[:, :1], z, out=z)
    np.testing.assert_array_equal(z, a[:, :1] * a)
    out = np.empty((400, 60), np.float64)
    binary("add", a.astype(np.float32), b.astype(np.float32), out=out)  # cast on write
    np.testing.assert_allclose(out, (a.astype(np.float32) + b.astype(np.float32)).astype(np.float64))


@pytest.mark.parametrize("name", ["exp", "sigmoid", "relu", "clamp"])
def test_threads_give_identical_results(name, monkeypatch):
    monkeypatch.setattr(elementwise, "MIN_THREADED", 0)
    x = RNG.uniform(-5, 5, 300001).astype(np.float32)
    y = RNG.uniform(-5, 5, 300001).astype(np.float32)
    prev = eddl.set_num_threads(1)
    try:
        r1 = unary(name, x, lo=-1, hi=1) if name == "clamp" else unary(name, x)
        b1 = binary("pow", np.abs(x), y)
        eddl.set_num_threads(2)
        r2 = unary(name, x, lo=-1, hi=1) if name == "clamp" else unary(name, x)
        b2 = binary("pow", np.abs(x), y)
    finally:
        eddl.set_num_threads(prev)
    assert np.array_equal(r1, r2) and np.array_equal(b1, b2)


def test_fast_math_does_not_flush_denormals_process_wide():
    # GCC links crtfastmath.o (which sets flush-to-zero for the whole process) when
    # -ffast-math reaches the link line; the kernels must not do that.
    unary("exp", np.ones(1000, np.float32))
    tiny = np.array([1e-40], np.float32)
    assert (tiny * np.float32(0.5))[0] != 0


def test_caching_allocator_recycles_large_results():
    from eddl.backend.cpu import _alloc, cached_bytes, set_cache_limit

    n = 1 << 20
    x = RNG.standard_normal(n).astype(np.float32)
    set_cache_limit(0)  # start empty
    set_cache_limit(256 << 20)
    y = unary("exp", x)
    addr = y.ctypes.data
    del y
    assert cached_bytes() == 4 * n
    z = unary("tanh", x)  # same size: same block, fully rewritten
    assert z.ctypes.data == addr and cached_bytes() == 0
    np.testing.assert_array_equal(z, unary("tanh", x.copy()))
    small = _alloc.empty((3, 4), np.float64)
    assert small.shape == (3, 4) and small.dtype == np.float64
    assert set_cache_limit(0) == 256 << 20
    del z
    assert cached_bytes() == 0
    set_cache_limit(256 << 20)
    with pytest.raises(ValueError, match="non-negative"):
        set_cache_limit(-1)
