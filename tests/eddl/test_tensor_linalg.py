"""Matrix products and diagonal helpers of eddl.Tensor against NumPy in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eddl import Tensor

FAST = settings(max_examples=25, deadline=None)


@st.composite
def matmul_shapes(draw):
    m, k, n = (draw(st.integers(0, 5)) for _ in range(3))
    batch_a = draw(st.lists(st.integers(1, 3), max_size=2))
    batch_b = [draw(st.sampled_from([1, d])) for d in batch_a]
    sa = tuple(batch_a) + (m, k)
    sb = tuple(draw(st.sampled_from([batch_b, batch_b[1:] if batch_b else []]))) + (k, n)
    if draw(st.booleans()):
        sa = (k,) if draw(st.booleans()) else sa
    return sa, sb


@FAST
@given(shapes=matmul_shapes(), dtype=st.sampled_from([np.float32, np.float64]))
def test_matmul_matches_numpy(shapes, dtype):
    rng = np.random.default_rng(0)
    a = rng.normal(size=shapes[0]).astype(dtype)
    b = rng.normal(size=shapes[1]).astype(dtype)
    got = Tensor.from_numpy(a) @ Tensor.from_numpy(b)
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == expected.shape and got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_matmul_transposed_and_strided_operands():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 4)).astype(np.float32)
    b = rng.normal(size=(6, 4)).astype(np.float32)
    ta, tb = Tensor(a), Tensor(b)
    np.testing.assert_allclose((ta @ tb.T).numpy(), a @ b.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((tb.T.T @ ta.T).numpy(), b @ a.T, rtol=1e-5, atol=1e-5)
    big = rng.normal(size=(10, 8)).astype(np.float32)
    sa = Tensor(big)[::2, ::2]                          # neither C- nor F-contiguous
    np.testing.assert_allclose((sa @ sa.T).numpy(), big[::2, ::2] @ big[::2, ::2].T,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(Tensor.mult2D(ta, tb.T).numpy(), a @ b.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((ta @ Tensor.from_numpy(b.T.astype(np.float64))).numpy(),
                               a.astype(np.float64) @ b.T, rtol=1e-6)


def test_matmul_errors():
    with pytest.raises(ValueError, match=r"matmul: shapes \[2, 3\] and \[2, 3\] do not align"):
        Tensor.ones([2, 3]) @ Tensor.ones([2, 3])
    with pytest.raises(TypeError, match="float32 or float64"):
        Tensor.ones([2, 2], dtype="int32").matmul(Tensor.ones([2, 2]))
    with pytest.raises(ValueError, match="mult2D: needs 2-D"):
        Tensor.mult2D(Tensor.ones([2]), Tensor.ones([2, 2]))
    with pytest.raises(ValueError, match="batch shapes"):
        Tensor.ones([2, 2, 2]) @ Tensor.ones([3, 2, 2])


def test_outer_diag_trace_interpolate():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=3).astype(np.float32), rng.normal(size=(2, 2)).astype(np.float32)
    np.testing.assert_allclose(Tensor(x).outer(Tensor(y)).numpy(), np.outer(x, y), rtol=1e-6)
    m = rng.normal(size=(4, 4)).astype(np.float32)
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(Tensor(m).diag(k).numpy(), np.diag(np.diag(m, k), k))
        np.testing.assert_array_equal(Tensor(m).diagonal(k).numpy(), np.diag(m, k))
        np.testing.assert_allclose(Tensor(m).trace(k), np.trace(m, k), rtol=1e-6)
    u = Tensor(m.copy())
    assert u.diag_(1) is u
    np.testing.assert_array_equal(u.numpy(), np.diag(np.diag(m, 1), 1))
    np.testing.assert_array_equal(Tensor(x).diag().numpy(), np.diag(x))
    assert Tensor.static_trace(Tensor(m)) == pytest.approx(np.trace(m), rel=1e-6)
    with pytest.raises(ValueError, match="square 2-D"):
        Tensor.ones([2, 3]).trace()
    assert Tensor.isSquared(Tensor.ones([3, 3])) and not Tensor.isSquared(Tensor.ones([3, 2]))
    a, b = Tensor(m), Tensor(m * 2)
    np.testing.assert_allclose(Tensor.interpolate(0.25, a, 0.5, b).numpy(), 0.25 * m + m,
                               rtol=1e-6)
    c = Tensor.zeros([4, 4])
    assert Tensor.interpolate(1, a, 1, b, c) is c
    np.testing.assert_allclose(c.numpy(), 3 * m, rtol=1e-6)
