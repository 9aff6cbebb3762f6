"""Static layer helpers of Tensor (PyEDDL's sum2D_*, reduce_sum2D, *_back, gather, d_clamp,
argmax_d) against float64 NumPy references of EDDL's CPU kernels."""

import numpy as np
import pytest

from eddl import Tensor

RNG = np.random.default_rng(7)


def _t(a):
    return Tensor.fromarray(np.asarray(a, dtype=np.float64), dtype="float64")


def test_sum2D_rowwise_and_colwise():
    # src/hardware/cpu/cpu_math.cpp: rowwise C[i,j] = A[i,j] + B[j]; colwise C[i,j] = A[i,j] + B[i]
    a, r, c = RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=3)
    C = _t(np.zeros((3, 4)))
    assert Tensor.sum2D_rowwise(_t(a), _t(r), C) is C
    np.testing.assert_allclose(C.numpy(), a + r[None, :], rtol=1e-15)
    Tensor.sum2D_colwise(_t(a), _t(c), C)
    np.testing.assert_allclose(C.numpy(), a + c[:, None], rtol=1e-15)
    A = _t(a)                                   # C may be A: the dense layer's bias add
    Tensor.sum2D_rowwise(A, _t(r), A)
    np.testing.assert_allclose(A.numpy(), a + r, rtol=1e-15)
    with pytest.raises(ValueError, match="B has 3 elements"):
        Tensor.sum2D_rowwise(_t(a), _t(c), C)
    with pytest.raises(ValueError, match="A and C"):
        Tensor.sum2D_colwise(_t(a), _t(c), _t(np.zeros((4, 3))))
    with pytest.raises(TypeError, match="Tensor"):
        Tensor.sum2D_rowwise(a, _t(r), C)


@pytest.mark.parametrize("axis", [0, 1])
def test_reduce_sum2D_overwrites_or_accumulates(axis):
    # src/hardware/cpu/cpu_reduction.cpp cpu_reduce_sum2D: B = (incB ? B : 0) + sum along axis
    a = RNG.normal(size=(5, 3))
    start = RNG.normal(size=a.shape[1 - axis])
    B = _t(start)
    Tensor.reduce_sum2D(_t(a), B, axis, 0)
    np.testing.assert_allclose(B.numpy(), a.sum(axis), rtol=1e-14)
    B = _t(start)
    Tensor.reduce_sum2D(_t(a), B, axis, 1)
    np.testing.assert_allclose(B.numpy(), start + a.sum(axis), rtol=1e-14)
    with pytest.raises(ValueError, match="elements"):
        Tensor.reduce_sum2D(_t(a), _t(np.zeros(7)), axis, 0)
    with pytest.raises(ValueError, match="axis"):
        Tensor.reduce_sum2D(_t(a), B, 2, 0)


def test_concat_back_adds_the_slices_to_the_parts():
    # src/hardware/cpu/cpu_core.cpp cpu_concat(derivative=true): src[j] += dest[...]
    parts = [RNG.normal(size=(2, k, 3)) for k in (1, 3, 2)]
    grad = RNG.normal(size=(2, 6, 3))
    ts = [_t(p) for p in parts]
    assert Tensor.concat_back(_t(grad), ts, 1) == ts
    ref = np.split(grad, [1, 4], axis=1)
    for t, p, r in zip(ts, parts, ref):
        np.testing.assert_allclose(t.numpy(), p + r, rtol=1e-15)
    # it is the adjoint of concat: <concat(x), g> == sum <x_i, concat_back(g)_i>
    zs = [_t(np.zeros_like(p)) for p in parts]
    Tensor.concat_back(_t(grad), zs, 1)
    lhs = (Tensor.concat([_t(p) for p in parts], 1).numpy() * grad).sum()
    assert lhs == pytest.approx(sum((p * z.numpy()).sum() for p, z in zip(parts, zs)), rel=1e-12)
    with pytest.raises(ValueError, match="at least two"):
        Tensor.concat_back(_t(grad), ts[:1], 1)
    with pytest.raises(ValueError, match="add up"):
        Tensor.concat_back(_t(grad), ts[:2], 1)


def test_select_back_and_set_select_back_are_the_adjoints():
    # src/hardware/cpu/cpu_core.cpp: select_back B[addr[i]] += A[i];
    # set_select_back B[i] += A[addr[i]]
    big = RNG.normal(size=(4, 5))
    small = RNG.normal(size=(2, 1))
    sd = ["1:3", "-2"]
    B = _t(big)
    assert Tensor.select_back(_t(small), B, sd) is B
    ref = big.copy()
    ref[1:3, 3:4] += small
    np.testing.assert_allclose(B.numpy(), ref, rtol=1e-15)
    S = _t(small)
    assert Tensor.set_select_back(_t(big), S, sd) is S
    np.testing.assert_allclose(S.numpy(), small + big[1:3, 3:4], rtol=1e-15)
    # select's gradient: <x.select(sd), g> == <x, select_back(g)>
    x, g = RNG.normal(size=(4, 5)), RNG.normal(size=(2, 1))
    back = Tensor.select_back(_t(g), _t(np.zeros((4, 5))), sd).numpy()
    assert (_t(x).select(sd).numpy() * g).sum() == pytest.approx((x * back).sum(), rel=1e-12)
    with pytest.raises(ValueError, match="region"):
        Tensor.select_back(_t(np.zeros((3, 1))), B, sd)
    with pytest.raises(ValueError, match="region"):
        Tensor.set_select_back(_t(big), _t(np.zeros((2, 2))), sd)


def test_gather_scatters_through_the_permutation():
    # src/hardware/cpu/cpu_core.cpp cpu_gather: A[addr[i]] = B[i], with the addresses of a
    # GatherDescriptor(dims), those of A.permute(dims)
    b = RNG.normal(size=(4, 2, 3))
    A = _t(np.zeros((2, 3, 4)))
    assert Tensor.gather(A, _t(b), [2, 0, 1]) is A
    np.testing.assert_array_equal(np.transpose(A.numpy(), (2, 0, 1)), b)
    np.testing.assert_array_equal(A.permute([2, 0, 1]).numpy(), b)
    with pytest.raises(ValueError, match="permutation"):
        Tensor.gather(A, _t(b), [2, 0, 0])
    with pytest.raises(ValueError, match="shape"):
        Tensor.gather(A, _t(b), [0, 1, 2])


def test_d_clamp_passes_the_gradient_inside_the_range():
    # src/hardware/cpu/cpu_math.cpp cpu_d_clamp: PD += D where min <= I <= max
    i = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    d = RNG.normal(size=6)
    pd = RNG.normal(size=6)
    PD = _t(pd)
    assert Tensor.d_clamp(_t(d), _t(i), PD, -1.0, 1.0) is PD
    np.testing.assert_allclose(PD.numpy(), pd + np.where((i >= -1) & (i <= 1), d, 0.0), rtol=1e-15)
    # finite differences of sum(clamp(x) * d) away from the bounds
    x = np.array([-1.7, -0.3, 0.2, 0.9, 1.4])
    dd = RNG.normal(size=5)
    g = Tensor.d_clamp(_t(dd), _t(x), _t(np.zeros(5)), -1.0, 1.0).numpy()
    eps = 1e-6
    num = [((np.clip(x + eps * e, -1, 1) - np.clip(x - eps * e, -1, 1)) * dd).sum() / (2 * eps)
           for e in np.eye(5)]
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="D and PD"):
        Tensor.d_clamp(_t(d), _t(i), _t(np.zeros(5)), -1.0, 1.0)


def test_argmax_d_routes_each_gradient_to_its_argmax():
    # src/hardware/cpu/cpu_math.cpp cpu_argmax_d: PD[i * (PD.size / D.size) + O[i]] += D[i]
    x = RNG.normal(size=(3, 2, 5))
    o = x.argmax(axis=2)
    d = RNG.normal(size=(3, 2))
    pd = RNG.normal(size=(3, 2, 5))
    PD = _t(pd)
    assert Tensor.argmax_d(_t(d), _t(o.astype(float)), PD) is PD
    ref = pd.copy()
    np.put_along_axis(ref, o[..., None], np.take_along_axis(ref, o[..., None], 2) + d[..., None], 2)
    np.testing.assert_allclose(PD.numpy(), ref, rtol=1e-15)
    # the gradient of sum(max(x, axis=2) * d)
    g = Tensor.argmax_d(_t(d), _t(o.astype(float)), _t(np.zeros_like(x))).numpy()
    eps = 1e-6
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        num = (((x + e).max(2) - (x - e).max(2)) * d).sum() / (2 * eps)
        assert g[idx] == pytest.approx(num, rel=1e-6, abs=1e-9)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        Tensor.argmax_d(_t(d), _t(np.full((3, 2), 5.0)), PD)
    with pytest.raises(ValueError, match="multiple"):
        Tensor.argmax_d(_t(d), _t(o.astype(float)), _t(np.zeros(7)))
