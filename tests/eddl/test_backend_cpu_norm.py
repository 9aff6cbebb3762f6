"""Normalization kernels of the CPU backend (eddl.backend.cpu.norm): statistics and backward
sums against float64 NumPy, on long rows, odd lengths and data far from zero."""

import numpy as np
import pytest

from eddl.backend.cpu import norm


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape", [(3, 4, 1), (2, 3, 7), (4, 2, 5003), (1, 3, 20000)])
@pytest.mark.parametrize("offset", [0.0, 300.0])
def test_stats_match_float64(dtype, tol, shape, offset):
    rng = np.random.default_rng(shape[2])
    x = (offset + rng.standard_normal(shape) * 2.0).astype(dtype)
    c = shape[1]
    mean, var, inv = (np.empty(c, dtype) for _ in range(3))
    norm.stats(x, mean, var, inv, 1e-5)
    x64 = x.astype(np.float64)
    ref_m = x64.mean(axis=(0, 2))
    ref_v = x64.var(axis=(0, 2))
    np.testing.assert_allclose(mean, ref_m, rtol=tol, atol=tol)
    np.testing.assert_allclose(var, ref_v, rtol=max(tol, 1e-12) * (1 + abs(offset)), atol=tol)
    np.testing.assert_allclose(inv, 1 / np.sqrt(ref_v + 1e-5), rtol=max(tol, 1e-12) * (1 + abs(offset)))


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 2, 4099)])
@pytest.mark.parametrize("acc", [False, True])
def test_backward_matches_float64(dtype, tol, shape, acc):
    rng = np.random.default_rng(7)
    xhat, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    gamma, inv = (rng.random(shape[1]).astype(dtype) + 0.5 for _ in range(2))
    base = rng.standard_normal(shape).astype(dtype)
    dx = base.copy()
    s1, s2 = np.empty(shape[1], dtype), np.empty(shape[1], dtype)
    norm.backward(xhat, dy, gamma, inv, dx, s1, s2, accumulate=acc)
    x64, d64 = xhat.astype(np.float64), dy.astype(np.float64)
    r1, r2 = d64.sum(axis=(0, 2)), (d64 * x64).sum(axis=(0, 2))
    cnt = shape[0] * shape[2]
    k = (gamma.astype(np.float64) * inv)[None, :, None]
    ref = k * (d64 - (r1 / cnt)[None, :, None] - x64 * (r2 / cnt)[None, :, None])
    if acc:
        ref = ref + base
    np.testing.assert_allclose(s1, r1, rtol=tol, atol=tol * np.sqrt(cnt))
    np.testing.assert_allclose(s2, r2, rtol=tol, atol=tol * np.sqrt(cnt))
    np.testing.assert_allclose(dx, ref, rtol=tol, atol=tol * 10)
