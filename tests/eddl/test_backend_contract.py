"""Conformance of every backend to eddl.backend.contract, against float64 NumPy references.

Each test takes the ``be`` fixture, which runs it once per backend the registry knows; a backend
that is not built or not usable here (CUDA without a GPU) is skipped with the reason; the FPGA
backend runs here as its emulator (``CS_FPGA(emulate=True)``).
Data goes to the backend with ``be.from_host`` and comes back with ``be.to_host``, so the same
tests run on device memory. References are computed on the host in float64, written from the
definitions (loops over windows for convolution and pooling) rather than from any backend.
"""

import itertools

import numpy as np
import pytest

from eddl.backend import contract, registry


@pytest.fixture(params=registry.names())
def be(request):
    ok, reason = registry.status(request.param)
    if not ok:
        pytest.skip(f"backend {request.param!r} unavailable: {reason}")
    return registry.get(request.param)


def dev(be, a):
    # a private copy, as on a device: kernels writing in place must not change the host data
    return be.from_host(np.array(a, copy=True, order="C"))


def host(be, a):
    return np.asarray(be.to_host(a))


TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}


def close(be, got, ref, dtype, scale=1.0):
    tol = TOL[dtype]
    np.testing.assert_allclose(host(be, got).astype(np.float64), ref, rtol=tol["rtol"],
                               atol=tol["atol"] * scale)


# --- identity, allocation, host transfer ----------------------------------------------------

def test_backend_provides_the_whole_contract(be):
    assert contract.missing(be) == []
    assert be.name in registry.names()
    assert registry.hardware(be.name) in ("CPU", "GPU", "FPGA")
    x = dev(be, np.arange(6.0).reshape(2, 3))
    assert isinstance(x, be.array_types)
    assert registry.array_namespace(x) is be.xp


def test_allocation(be):
    e = be.empty((3, 4), "float32")
    z = be.zeros((2, 5), np.float64)
    assert isinstance(e, be.array_types) and e.shape == (3, 4) and e.dtype == np.float32
    assert z.shape == (2, 5) and z.dtype == np.float64 and not host(be, z).any()
    a, b = be.rng(7).random(5), be.rng(7).random(5)
    np.testing.assert_array_equal(host(be, a), host(be, b))


def test_host_transfer(be, rng):
    a = rng.standard_normal((6, 3)).astype(np.float32)
    d = be.from_host(a)
    np.testing.assert_array_equal(host(be, d), a)
    assert be.from_host(a, np.float64).dtype == np.float64
    out = be.empty((3, 3), np.float64)
    assert be.from_host(a, out=out, rows=[4, 0, 4]) is out
    np.testing.assert_array_equal(host(be, out), a[[4, 0, 4]].astype(np.float64))
    out32 = be.empty((2, 3), np.float32)
    be.from_host(a, out=out32, rows=np.array([5, 1]))
    np.testing.assert_array_equal(host(be, out32), a[[5, 1]])
    be.from_host(a[:2], out=out32)
    np.testing.assert_array_equal(host(be, out32), a[:2])
    be.from_host([[1, 2, 3], [4, 5, 6]], out=out32)  # any host array-like
    np.testing.assert_array_equal(host(be, out32), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(host(be, be.from_host([[1.0, 2.0], [3.0, 4.0]], rows=[1])), [[3, 4]])
    s = be.scalar(2.5, np.float32)
    assert s.shape == () and s.dtype == np.float32 and float(host(be, s)) == 2.5
    with pytest.raises(OverflowError):
        be.scalar(300, np.int8)


# --- GEMM -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(5, 7, 3), (100, 576, 10), (160, 170, 180)])
@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
def test_gemm(be, rng, dtype, m, k, n, trans_a, trans_b):
    a = rng.standard_normal((k, m) if trans_a else (m, k))
    b = rng.standard_normal((n, k) if trans_b else (k, n))
    c = rng.standard_normal((m, n))
    ref = (a.T if trans_a else a) @ (b.T if trans_b else b)
    A, B = dev(be, a.astype(dtype)), dev(be, b.astype(dtype))
    scale = np.sqrt(k)
    close(be, be.gemm(A, B, trans_a=trans_a, trans_b=trans_b), ref, dtype, scale)
    out = dev(be, c.astype(dtype))
    r = be.gemm(A, B, out=out, trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=2.0)
    assert r is out
    close(be, out, 0.5 * ref + 2.0 * c.astype(dtype).astype(np.float64), dtype, scale)
    out = dev(be, np.full((m, n), np.nan, dtype))
    be.gemm(A, B, out=out, trans_a=trans_a, trans_b=trans_b)  # beta = 0 never reads out
    close(be, out, ref, dtype, scale)


@pytest.mark.parametrize("shared", ["none", "a", "b"])
def test_gemm_batched(be, rng, shared):
    a = rng.standard_normal((3, 4) if shared == "a" else (5, 3, 4))
    b = rng.standard_normal((4, 6) if shared == "b" else (5, 4, 6))
    ref = np.matmul(a, b)
    got = be.gemm_batched(dev(be, a.astype(np.float32)), dev(be, b.astype(np.float32)))
    close(be, got, ref, np.float32, 2.0)
    out = be.zeros((5, 6, 3), np.float64)
    be.gemm_batched(dev(be, b.swapaxes(-1, -2)), dev(be, a.swapaxes(-1, -2)), out=out)
    close(be, out, np.swapaxes(ref, -1, -2), np.float64)


# --- element-wise and reductions ------------------------------------------------------------

_DOMAIN = {"log": (0.1, 5), "log2": (0.1, 5), "log10": (0.1, 5), "sqrt": (0.0, 5),
           "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "reciprocal": (0.5, 3),
           "tan": (-1.2, 1.2), "exp": (-20, 20), "sinh": (-10, 10), "cosh": (-10, 10)}

_EXTRA_REF = {
    "sigmoid": (lambda x: 1.0 / (1.0 + np.exp(-x)), {}),
    "relu": (lambda x: np.maximum(x, 0.0), {}),
    "clamp": (lambda x: np.clip(x, -0.5, 1.5), {"lo": -0.5, "hi": 1.5}),
    "pow_scalar": (lambda x: x ** 3, {"exponent": 3}),
}


@pytest.mark.parametrize("n", [37, 20000])  # below and above the CPU kernels' size thresholds
@pytest.mark.parametrize("name", sorted(contract.UNARY) + sorted(contract.UNARY_EXTRA))
def test_unary(be, rng, name, n):
    lo, hi = _DOMAIN.get(name, (-3, 3))
    x = rng.uniform(lo, hi, n).astype(np.float32)
    x64 = x.astype(np.float64)
    if name in contract.UNARY:
        ref, params = getattr(np, contract.UNARY[name])(x64), {}
    else:
        fn, params = _EXTRA_REF[name]
        ref = fn(x64)
    scale = np.abs(ref).max() if name in ("exp", "sinh", "cosh", "pow_scalar") else 1.0
    tol = dict(rtol=1e-6 * 8, atol=1e-6 * scale)
    X = dev(be, x)
    got = host(be, be.unary(name, X, **params))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref, **tol)
    r = be.unary(name, X, out=X, **params)  # in place
    np.testing.assert_allclose(host(be, r), ref, **tol)
    np.testing.assert_allclose(host(be, X), ref, **tol)


def test_unary_float_only_ops_promote_integers(be):
    x = dev(be, np.arange(0, 2, dtype=np.int32))
    for name in sorted(contract.FLOAT_ONLY & set(contract.UNARY)):
        with np.errstate(all="ignore"):
            assert host(be, be.unary(name, x)).dtype.kind == "f", name
    assert host(be, be.unary("abs", x)).dtype == np.int32
    with pytest.raises(ValueError, match="unknown unary"):
        be.unary("nope", x)


_BIN_POSITIVE = {"pow", "div", "mod"}


@pytest.mark.parametrize("shape_b", [(300, 64), (64,), (300, 1), ()])
@pytest.mark.parametrize("name", sorted(contract.BINARY))
def test_binary(be, rng, name, shape_b):
    lo = 0.5 if name in _BIN_POSITIVE else -2.0
    a = rng.uniform(lo, 2.0, (300, 64)).astype(np.float32)
    b = rng.uniform(lo, 2.0, shape_b).astype(np.float32)
    ref = getattr(np, contract.BINARY[name])(a.astype(np.float64), b.astype(np.float64))
    A, B = dev(be, a), dev(be, b)
    got = host(be, be.binary(name, A, B))
    if name in contract.COMPARE:
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, ref)
        return
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    out = be.binary(name, A, B, out=A)
    assert out is A
    np.testing.assert_allclose(host(be, A), ref, rtol=1e-5, atol=1e-6)
    r = host(be, be.binary(name, dev(be, a), 1.5))
    np.testing.assert_allclose(r, getattr(np, contract.BINARY[name])(a.astype(np.float64), 1.5),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (2, True), ((1, 2), False),
                                           ((0, 1), True)])
@pytest.mark.parametrize("name", sorted(contract.REDUCTIONS))
def test_reduce(be, rng, name, axis, keepdims):
    x = rng.standard_normal((12, 40, 30)).astype(np.float32)
    if name in ("argmax", "argmin") and isinstance(axis, tuple):
        pytest.skip("arg-reductions take one axis or all of them")
    fn = getattr(np, contract.REDUCTIONS[name])
    if name in ("all", "any"):
        x = (x > 1.5).astype(np.float32)
    ref = fn(x.astype(np.float64), axis=axis, keepdims=keepdims)
    got = host(be, be.reduce(name, dev(be, x), axis=axis, keepdims=keepdims))
    assert got.shape == np.shape(ref)
    if name in ("argmax", "argmin", "all", "any"):
        np.testing.assert_array_equal(got, ref)
    else:
        scale = np.sqrt(x.size) if name in ("sum", "prod") else 1.0
        np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-6 * scale)


# --- nn: activations, fused gradients, optimizer updates ------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nn_activations(be, rng, dtype):
    x = rng.standard_normal((64, 33))
    dy = rng.standard_normal((64, 33))
    X, DY = dev(be, x.astype(dtype)), dev(be, dy.astype(dtype))
    x, dy = (host(be, a).astype(np.float64) for a in (X, DY))
    out = be.empty(x.shape, dtype)
    close(be, be.nn.relu_forward(X, out), np.maximum(x, 0), dtype)
    y = np.maximum(x, 0)
    be.nn.relu_backward(dev(be, y.astype(dtype)), DY, out)
    close(be, out, dy * (y > 0), dtype)
    be.nn.relu_backward(dev(be, y.astype(dtype)), DY, out, accumulate=True)
    close(be, out, 2 * dy * (y > 0), dtype)
    for axis in (-1, 0):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        sm = e / e.sum(axis=axis, keepdims=True)
        close(be, be.nn.softmax_forward(X, out, axis=axis), sm, dtype)
        be.nn.softmax_backward(dev(be, sm.astype(dtype)), DY, out, axis=axis)
        close(be, out, sm * (dy - (dy * sm).sum(axis=axis, keepdims=True)), dtype, 4.0)
    t = np.eye(33)[rng.integers(0, 33, 64)]
    be.nn.softmax_ce_delta(X, dev(be, t.astype(dtype)), out, 0.25)
    close(be, out, (x - t) * 0.25, dtype)
    bg = be.empty((33,), dtype)
    close(be, be.nn.bias_grad(DY, bg), dy.sum(axis=0), dtype, 8.0)
    assert be.nn.nonfinite(X) is False or be.nn.nonfinite(X) == 0
    bad = x.copy()
    bad[3, 4] = np.nan
    assert be.nn.nonfinite(dev(be, bad.astype(dtype)))


def _opt_case(rng, dtype, n=1000):
    p, g = rng.standard_normal(n), rng.standard_normal(n)
    return p, g, rng.random(n), rng.random(n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update(be, rng, dtype, momentum, nesterov):
    p, g, v, _ = _opt_case(rng, dtype)
    P, G, V = (dev(be, a.astype(dtype)) for a in (p, g, v))
    p, g, v = (host(be, a).astype(np.float64) for a in (P, G, V))
    for _ in range(3):
        be.nn.sgd_update(P, G, V, 0.1, momentum, nesterov)
        if momentum == 0.0:
            p = p - 0.1 * g
        else:
            v = momentum * v - 0.1 * g
            p = p + (momentum * v - 0.1 * g if nesterov else v)
    close(be, P, p, dtype, 4.0)
    if momentum:
        close(be, V, v, dtype, 4.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update(be, rng, dtype, amsgrad):
    p, g, m, v = _opt_case(rng, dtype)
    vmax = v.copy()
    P, G, M, V, VM = (dev(be, a.astype(dtype)) for a in (p, g, m, v, vmax))
    p, g, m, v, vmax = (host(be, a).astype(np.float64) for a in (P, G, M, V, VM))
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    for step in (1, 2, 3):
        be.nn.adam_update(P, G, M, V, VM, lr, b1, b2, eps, step, amsgrad)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        den = np.sqrt((vmax if amsgrad else v) / (1 - b2 ** step)) + eps
        p = p - lr / (1 - b1 ** step) * m / den
    close(be, P, p, dtype, 4.0)
    close(be, M, m, dtype)
    close(be, V, v, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rmsprop_update(be, rng, dtype):
    p, g, s, _ = _opt_case(rng, dtype)
    P, G, S = (dev(be, a.astype(dtype)) for a in (p, g, s))
    p, g, s = (host(be, a).astype(np.float64) for a in (P, G, S))
    for _ in range(3):
        be.nn.rmsprop_update(P, G, S, 0.01, 0.9, 1e-7)
        s = 0.9 * s + 0.1 * g * g
        p = p - 0.01 * g / (np.sqrt(s) + 1e-7)
    close(be, P, p, dtype, 4.0)
    close(be, S, s, dtype)


# --- convolution ----------------------------------------------------------------------------

def conv_ref(x, w, dy, out_sp, stride, pad, dil, groups):
    """Direct definitions in float64: every output position sums its in-bounds window taps
    (``y``); the input and weight gradients scatter ``dy`` back through the same taps."""
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    y, dx, dw = np.zeros((n, f) + tuple(out_sp)), np.zeros_like(x), np.zeros_like(w)
    for o in np.ndindex(*out_sp):
        for t in np.ndindex(*w.shape[2:]):
            pos = [oi * s - p + ti * d for oi, s, p, ti, d in zip(o, stride, pad, t, dil)]
            if not all(0 <= q < size for q, size in zip(pos, x.shape[2:])):
                continue
            for g in range(groups):
                ci = (slice(None), slice(g * cg, (g + 1) * cg)) + tuple(pos)
                fo = (slice(None), slice(g * fg, (g + 1) * fg)) + o
                ft = (slice(g * fg, (g + 1) * fg), slice(None)) + t
                y[fo] += x[ci] @ w[ft].T
                dx[ci] += dy[fo] @ w[ft]
                dw[ft] += dy[fo].T @ x[ci]
    return y, dx, dw


CONV_CASES = [  # x shape, filters, kernel, stride, pad (before; after = 'same' or valid), dilation, groups
    ((2, 3, 9), 4, (3,), (1,), (1,), (1,), 1),
    ((2, 4, 7, 8), 6, (3, 3), (2, 1), (1, 0), (1, 2), 2),
    ((3, 2, 18, 17), 5, (3, 3), (1, 1), (1, 1), (1, 1), 1),     # the CPU's tiled kernels
    ((2, 8, 16, 16), 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),     # flipped-weights input gradient
    ((1, 2, 4, 5, 4), 3, (2, 3, 2), (1, 2, 1), (0, 1, 1), (1, 1, 1), 1),
]


def _conv_case(rng, case, dtype):
    xs, f, k, s, p, d, g = case
    out_sp = tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1
                   for n, ki, si, pi, di in zip(xs[2:], k, s, p, d))
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal((f, xs[1] // g) + k).astype(dtype)
    dy = rng.standard_normal((xs[0], f) + out_sp).astype(dtype)
    return x, w, dy, out_sp, s, p, d, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{len(c[0]) - 2}d-{c[0]}")
def test_conv(be, rng, case, dtype):
    x, w, dy, out_sp, s, p, d, g = _conv_case(rng, case, dtype)
    x64, w64, dy64 = (a.astype(np.float64) for a in (x, w, dy))
    ref, ref_dx, ref_dw = conv_ref(x64, w64, dy64, out_sp, s, p, d, g)
    taps = np.sqrt(w[0].size)
    X, W, DY = dev(be, x), dev(be, w), dev(be, dy)
    y = be.zeros(dy.shape, dtype)
    assert be.conv.conv_forward(X, W, y, s, p, d, g) is y
    close(be, y, ref, dtype, taps)
    be.conv.conv_forward(X, W, y, s, p, d, g, accumulate=True)
    close(be, y, 2 * ref, dtype, taps)
    dx = be.zeros(x.shape, dtype)
    assert be.conv.conv_backward_data(DY, W, dx, s, p, d, g) is dx
    close(be, dx, ref_dx, dtype, taps)
    be.conv.conv_backward_data(DY, W, dx, s, p, d, g, accumulate=True)
    close(be, dx, 2 * ref_dx, dtype, taps)
    dw = be.zeros(w.shape, dtype)
    assert be.conv.conv_backward_weights(X, DY, dw, s, p, d, g) is dw
    close(be, dw, ref_dw, dtype, np.sqrt(dy[:, 0].size))
    be.conv.conv_backward_weights(X, DY, dw, s, p, d, g, accumulate=True)
    close(be, dw, 2 * ref_dw, dtype, np.sqrt(dy[:, 0].size))


def test_conv_bias_and_out_size(be, rng):
    y = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    Y = dev(be, y)
    be.conv.bias_add(Y, dev(be, b))
    close(be, Y, y.astype(np.float64) + b[None, :, None, None], np.float32)
    out = be.zeros((4,), np.float32)
    be.conv.bias_grad(dev(be, y), out)
    close(be, out, y.astype(np.float64).sum(axis=(0, 2, 3)), np.float32, 10.0)
    be.conv.bias_grad(dev(be, y), out, accumulate=True)
    close(be, out, 2 * y.astype(np.float64).sum(axis=(0, 2, 3)), np.float32, 10.0)
    assert be.conv.out_size(28, 3, 1, 1, 1, 1) == 28
    assert be.conv.out_size(7, 3, 2, 0, 0, 2) == 2


# --- pooling --------------------------------------------------------------------------------

def pool_ref(x, out_sp, size, stride, pad, kind):
    """Window max / in-bounds mean and, for max, the flat in-plane index of the first maximum."""
    n, c = x.shape[:2]
    y = np.zeros((n, c) + tuple(out_sp))
    where = np.zeros((n, c) + tuple(out_sp), dtype=np.int64)
    for o in np.ndindex(*out_sp):
        lo = [oi * s - p for oi, s, p in zip(o, stride, pad)]
        sl = tuple(slice(max(a, 0), min(a + k, m)) for a, k, m in zip(lo, size, x.shape[2:]))
        win = x[(slice(None), slice(None)) + sl].reshape(n, c, -1)
        if kind == "avg":
            y[(slice(None), slice(None)) + o] = win.mean(axis=2)
            continue
        j = win.argmax(axis=2)
        y[(slice(None), slice(None)) + o] = win.max(axis=2)
        local = np.unravel_index(j, [s.stop - s.start for s in sl])
        where[(slice(None), slice(None)) + o] = np.ravel_multi_index(
            [li + s.start for li, s in zip(local, sl)], x.shape[2:])
    return y, where


def avg_pool_grad_ref(dy, xs, size, stride, pad):
    """Each output's gradient shared equally by the in-bounds inputs of its window."""
    dx = np.zeros(xs)
    for o in np.ndindex(*dy.shape[2:]):
        lo = [oi * s - p for oi, s, p in zip(o, stride, pad)]
        sl = tuple(slice(max(a, 0), min(a + k, m)) for a, k, m in zip(lo, size, xs[2:]))
        cnt = np.prod([t.stop - t.start for t in sl])
        dx[(slice(None), slice(None)) + sl] += (dy[(slice(None), slice(None)) + o] / cnt).reshape(
            xs[:2] + (1,) * len(sl))
    return dx


POOL_CASES = [  # x shape, size, stride, pad, output spatial
    ((2, 3, 8, 10), (2, 2), (2, 2), (0, 0), (4, 5)),     # the CPU's 2x2 fast path
    ((2, 3, 9, 7), (3, 3), (2, 2), (1, 1), (5, 4)),
    ((2, 3, 7, 7), (2, 2), (2, 2), (0, 0), (4, 4)),      # ceil mode: last window clipped
    ((2, 2, 11), (3,), (2,), (1,), (6,)),
    ((1, 2, 4, 6, 5), (2, 3, 2), (2, 2, 2), (0, 1, 0), (2, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: str(c[0]))
def test_pool(be, rng, case, dtype):
    xs, k, s, p, out_sp = case
    x = rng.standard_normal(xs).astype(dtype)
    dy = rng.standard_normal(xs[:2] + out_sp).astype(dtype)
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    X, DY = dev(be, x), dev(be, dy)
    y = be.zeros(dy.shape, dtype)
    idx = be.empty(dy.shape, np.int32)
    ref, where = pool_ref(x64, out_sp, k, s, p, "max")
    be.pool.max_pool_forward(X, y, idx, k, s, p)
    close(be, y, ref, dtype)
    dx = be.zeros(x.shape, dtype)
    be.pool.max_pool_backward(DY, idx, dx)
    ref_dx = np.zeros((xs[0] * xs[1], int(np.prod(xs[2:]))))
    np.add.at(ref_dx, (np.arange(xs[0] * xs[1])[:, None], where.reshape(xs[0] * xs[1], -1)),
              dy64.reshape(xs[0] * xs[1], -1))
    close(be, dx, ref_dx.reshape(xs), dtype)
    be.pool.max_pool_backward(DY, idx, dx, accumulate=True)
    close(be, dx, 2 * ref_dx.reshape(xs), dtype)

    ref, _ = pool_ref(x64, out_sp, k, s, p, "avg")
    be.pool.avg_pool_forward(X, y, k, s, p)
    close(be, y, ref, dtype)
    be.pool.avg_pool_backward(DY, dx, k, s, p)
    close(be, dx, avg_pool_grad_ref(dy64, xs, k, s, p), dtype)


# --- normalization --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm(be, rng, dtype):
    x = (rng.standard_normal((6, 5, 40)) * 3 + 1).astype(dtype)
    dy = rng.standard_normal(x.shape).astype(dtype)
    gamma = rng.standard_normal(5).astype(dtype)
    x64, dy64, g64 = (a.astype(np.float64) for a in (x, dy, gamma))
    X, DY = dev(be, x), dev(be, dy)
    mean, var, inv = (be.empty((5,), dtype) for _ in range(3))
    be.norm.stats(X, mean, var, inv, 1e-5)
    m, v = x64.mean(axis=(0, 2)), x64.var(axis=(0, 2))
    close(be, mean, m, dtype, 4.0)
    close(be, var, v, dtype, 40.0)
    close(be, inv, 1 / np.sqrt(v + 1e-5), dtype)
    out = be.empty(x.shape, dtype)
    scale, shift = rng.standard_normal(5).astype(dtype), rng.standard_normal(5).astype(dtype)
    be.norm.affine(X, out, dev(be, scale), dev(be, shift))
    close(be, out, x64 * scale[None, :, None] + shift[None, :, None], dtype, 10.0)
    xhat = (x64 - m[None, :, None]) / np.sqrt(v + 1e-5)[None, :, None]
    XH = dev(be, xhat.astype(dtype))
    xhat = host(be, XH).astype(np.float64)
    invd = host(be, inv).astype(np.float64)
    dx, s1, s2 = be.empty(x.shape, dtype), be.empty((5,), dtype), be.empty((5,), dtype)
    be.norm.backward(XH, DY, dev(be, gamma), inv, dx, s1, s2)
    r1, r2 = dy64.sum(axis=(0, 2)), (dy64 * xhat).sum(axis=(0, 2))
    close(be, s1, r1, dtype, 16.0)
    close(be, s2, r2, dtype, 16.0)
    cnt = x.shape[0] * x.shape[2]
    ref_dx = (g64 * invd)[None, :, None] * (dy64 - r1[None, :, None] / cnt
                                             - xhat * r2[None, :, None] / cnt)
    close(be, dx, ref_dx, dtype, 4.0)
    assert be.norm.backward(XH, DY, dev(be, gamma), inv, None, s1, s2) is None
    close(be, s1, r1, dtype, 16.0)


# --- resampling -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode,transform", [("nearest", "asymmetric"), ("linear", "half_pixel"),
                                            ("linear", "align_corners")])
def test_resample(be, rng, mode, transform):
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    mats = [be.resample.resample_matrix(5, 9, mode, transform, np.float32),
            be.resample.resample_matrix(4, 3, mode, transform, np.float32)]
    m0, m1 = (host(be, m).astype(np.float64) for m in mats)
    assert m0.shape == (9, 5) and m1.shape == (3, 4)
    np.testing.assert_allclose(m0.sum(axis=1), 1.0, rtol=1e-6)  # rows interpolate: weights sum to 1
    ref = np.einsum("ia,jb,ncab->ncij", m0, m1, x.astype(np.float64))
    y = be.empty((2, 3, 9, 3), np.float32)
    be.resample.resample(dev(be, x), y, mats)
    close(be, y, ref, np.float32)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx = be.zeros(x.shape, np.float32)
    be.resample.resample_backward(dev(be, dy), dx, mats)
    close(be, dx, np.einsum("ia,jb,ncij->ncab", m0, m1, dy.astype(np.float64)), np.float32, 4.0)
