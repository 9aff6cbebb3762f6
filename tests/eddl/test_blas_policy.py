"""Small products run on one BLAS thread (and restore the pool); results are unchanged."""

import numpy as np
import pytest

from eddl.backend.cpu import blas_policy


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_products_match_numpy(ta, tb):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5) if not ta else (5, 7)).astype(np.float32)
    b = rng.standard_normal((5, 3) if not tb else (3, 5)).astype(np.float32)
    out = rng.standard_normal((7, 3)).astype(np.float32)
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b) + 0.5 * out
    blas_policy.gemm(a, b, out=out, trans_a=ta, trans_b=tb, beta=0.5)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_small_products_are_serial_and_the_pool_is_restored(monkeypatch):
    hooks = blas_policy.blas_thread_hooks()
    if hooks is None:
        pytest.skip("the loaded BLAS is not OpenBLAS: no thread control to check")
    setter, getter = hooks
    before = getter()
    setter(2)
    seen = []
    real = blas_policy._gemm

    def spy(*args):
        seen.append(getter())
        return real(*args)
    monkeypatch.setattr(blas_policy, "_gemm", spy)
    try:
        a = np.ones((100, 576), np.float32)
        blas_policy.gemm(a, np.ones((576, 10), np.float32))
        big = np.ones((256, 256), np.float32)
        blas_policy.gemm(big, big)
        assert seen == [1, 2] and getter() == 2
        # an error inside the product still restores the pool
        with pytest.raises(ValueError):
            blas_policy.gemm(a, np.ones((5, 10), np.float32))
        assert getter() == 2
    finally:
        setter(before)


@pytest.mark.parametrize("ta,tb,dtype", [(False, False, np.float32), (True, False, np.float64),
                                         (False, True, np.float32)])
def test_openmp_split_products_match_numpy(ta, tb, dtype):
    import eddl
    rng = np.random.default_rng(1)
    m, k, n = 67, 203, 301     # above SERIAL_MACS, odd sizes, columns split unevenly
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    out = rng.standard_normal((m, n)).astype(dtype)
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b) + out
    before = eddl.get_num_threads()
    eddl.set_num_threads(2)
    try:
        assert m * n * k >= blas_policy.SERIAL_MACS
        res = blas_policy.gemm(a, b, out=out, trans_a=ta, trans_b=tb, beta=1.0)
    finally:
        eddl.set_num_threads(before)
    assert res is out
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * 10)
