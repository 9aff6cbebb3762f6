"""Reductions of eddl.Tensor over any set of axes, against NumPy in float64."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eddl import Tensor

FAST = settings(max_examples=25, deadline=None)

REF = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "median": np.median,
    "std": lambda x, axis, keepdims: np.std(x, axis=axis, keepdims=keepdims, ddof=1),
    "var": lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
    "sum_abs": lambda x, axis, keepdims: np.sum(np.abs(x), axis=axis, keepdims=keepdims),
    "norm": lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
}


@st.composite
def array_and_axes(draw, min_side=1):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=min_side, max_side=4))
    a = draw(hnp.arrays(np.float32, shape, elements=st.floats(-2, 2, width=32)))
    axes = draw(st.none() | st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                                     max_size=len(shape), unique_by=lambda i: i % len(shape)))
    return a, (tuple(axes) if axes is not None else None), draw(st.booleans())


@pytest.mark.parametrize("name", sorted(REF))
@FAST
@given(case=array_and_axes(min_side=2))
def test_reduction_matches_numpy(name, case):
    a, axes, keepdims = case
    got = getattr(Tensor(a), name)(axis=axes, keepdims=keepdims)
    expected = REF[name](a.astype(np.float64), axis=axes, keepdims=keepdims)
    if axes is None and not keepdims:
        assert isinstance(got, float)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    else:
        assert got.shape == np.shape(expected)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-5)
    # PyEDDL static form
    np.testing.assert_allclose(np.asarray(getattr(Tensor, "static_" + name)(
        Tensor(a), axis=axes, keepdims=keepdims)), np.asarray(expected), rtol=1e-4, atol=1e-5)


def _arg_ref(a, axes, fn):
    axes = tuple(sorted(x % a.ndim for x in axes))
    keep = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, keep + list(axes))
    return fn(moved.reshape(moved.shape[:len(keep)] + (-1,)), axis=-1)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@FAST
@given(case=array_and_axes())
def test_argmax_argmin_over_axis_sets(name, case):
    fn = getattr(np, name)
    a, axes, keepdims = case
    got = getattr(Tensor(a), name)(axis=axes, keepdims=keepdims)
    if axes is None:
        expected = fn(a)
        if keepdims:
            assert got.shape == (1,) * a.ndim and got.dtype == np.int64
            assert got.numpy().item() == expected
        else:
            assert got == expected and isinstance(got, int)
        return
    expected = _arg_ref(a, axes, fn)
    if keepdims:
        expected = np.expand_dims(expected, tuple(sorted(x % a.ndim for x in axes)))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), expected)


def _mode_ref(values):
    vals, counts = np.unique(values, return_counts=True)
    return vals[np.argmax(counts)]


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_mode(shape, data):
    a = data.draw(hnp.arrays(np.float32, shape, elements=st.integers(0, 3).map(float)))
    assert Tensor(a).mode() == _mode_ref(a)
    ax = data.draw(st.integers(0, len(shape) - 1))
    got = Tensor(a).mode(axis=ax, keepdims=True).numpy()
    expected = np.apply_along_axis(_mode_ref, ax, a)
    np.testing.assert_array_equal(got, np.expand_dims(expected, ax))


def test_all_any_and_bool():
    a = np.array([[0, 1, 2], [3, 4, 5]], np.float32)
    t = Tensor(a)
    assert t.any() is True and t.all() is False
    np.testing.assert_array_equal(t.all(axis=1).numpy(), [False, True])
    np.testing.assert_array_equal(t.any(axis=0, keepdims=True).numpy(), [[True, True, True]])
    m = t > 2
    assert m.sum() == 3 and m.mean() == 0.5
    assert Tensor.zeros([0]).all() is True and Tensor.zeros([0]).any() is False


def test_std_var_biased_and_norm_orders():
    a = np.random.default_rng(3).normal(size=(3, 5)).astype(np.float32)
    a64 = a.astype(np.float64)
    t = Tensor(a)
    np.testing.assert_allclose(t.std(unbiased=False), np.std(a64), rtol=1e-5)
    np.testing.assert_allclose(t.var(axis=0, unbiased=False).numpy(), np.var(a64, axis=0),
                               rtol=1e-5)
    for ord_, ref in [(1, np.sum(np.abs(a64))), (np.inf, np.abs(a64).max()),
                      (-np.inf, np.abs(a64).min()), (0, np.count_nonzero(a64)),
                      (3, np.sum(np.abs(a64) ** 3) ** (1 / 3)), ("fro", np.linalg.norm(a64))]:
        np.testing.assert_allclose(t.norm(ord_), ref, rtol=1e-5)
    np.testing.assert_allclose(t.norm(1, axis=1).numpy(), np.abs(a64).sum(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match="norm: unknown ord"):
        t.norm("nuc")
    assert np.isnan(Tensor.ones([1]).std())   # unbiased with one element


def test_integer_and_zero_size_reductions():
    i = Tensor(np.arange(6).reshape(2, 3), dtype="int64")
    assert i.sum() == 15 and isinstance(i.sum(), int)
    assert i.max(axis=0).dtype == np.int64
    assert i.mean() == 2.5
    e = Tensor.zeros([0, 3])
    assert e.sum() == 0.0
    np.testing.assert_array_equal(e.sum(axis=0).numpy(), [0, 0, 0])
    assert e.max(axis=1).shape == (0,)        # the reduced axis is non-empty
    for name in ("max", "min", "argmax", "argmin", "mode"):
        with pytest.raises(ValueError, match=f"{name}: cannot reduce a zero-size axis"):
            getattr(e, name)()


def test_axis_validation():
    t = Tensor.ones([2, 3])
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        t.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        t.mean(axis=[0, -2])
    with pytest.raises(TypeError, match="axis"):
        t.max(axis="0")
    with pytest.raises(TypeError, match="bool"):
        Tensor.ones([2], dtype=bool).max()


def test_non_contiguous_input():
    base = np.random.default_rng(5).normal(size=(4, 6, 5)).astype(np.float32)
    view = base.transpose(2, 0, 1)[:, ::2]
    t = Tensor.fromarray(view, copy=False)
    assert not t.is_contiguous()
    for axes in itertools.chain([None], itertools.combinations(range(3), 2)):
        np.testing.assert_allclose(np.asarray(t.sum(axis=axes)),
                                   view.astype(np.float64).sum(axis=axes), rtol=1e-5, atol=1e-5)
