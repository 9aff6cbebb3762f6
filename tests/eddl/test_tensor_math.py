"""Element-wise math, comparisons and logic of eddl.Tensor against NumPy in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eddl import Tensor
from eddl.tensor.elementwise import UNARY_METHODS

FAST = settings(max_examples=25, deadline=None)

# op -> (float64 reference, domain low, domain high)
UNARY_REF = {
    "abs": (np.abs, -5, 5), "acos": (np.arccos, -1, 1), "asin": (np.arcsin, -1, 1),
    "atan": (np.arctan, -5, 5), "ceil": (np.ceil, -5, 5), "cos": (np.cos, -5, 5),
    "cosh": (np.cosh, -5, 5), "exp": (np.exp, -10, 10), "floor": (np.floor, -5, 5),
    "log": (np.log, 1e-3, 100), "log2": (np.log2, 1e-3, 100), "log10": (np.log10, 1e-3, 100),
    "neg": (np.negative, -5, 5), "reciprocal": (np.reciprocal, 0.1, 5),
    "round": (np.rint, -5, 5), "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), -20, 20),
    "sin": (np.sin, -5, 5), "sinh": (np.sinh, -5, 5), "sqr": (np.square, -5, 5),
    "sqrt": (np.sqrt, 0, 100), "tan": (np.tan, -1.2, 1.2), "tanh": (np.tanh, -5, 5),
    "trunc": (np.trunc, -5, 5), "relu": (lambda x: np.maximum(x, 0), -5, 5),
}


def test_every_unary_method_has_a_reference():
    assert set(UNARY_METHODS) == set(UNARY_REF)


def _array(draw, lo, hi, dtype=np.float32, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=5))
    el = st.floats(float(np.float32(lo)), float(np.float32(hi)), width=32)
    return draw(hnp.arrays(dtype, shape, elements=el))


@pytest.mark.parametrize("name", sorted(UNARY_REF))
@FAST
@given(data=st.data())
def test_unary_matches_numpy(name, data):
    ref, lo, hi = UNARY_REF[name]
    a = _array(data.draw, lo, hi)
    expected = ref(a.astype(np.float64))
    t = Tensor(a)
    out = getattr(t, name)()
    assert out.dtype == np.float32 and out.shape == a.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-6, atol=1e-6)
    # in place: same object, same memory, same values
    b = a.copy()
    tb = Tensor.fromarray(b, copy=False)
    assert getattr(tb, name + "_")() is tb
    np.testing.assert_allclose(b, expected, rtol=2e-6, atol=1e-6)
    # PyEDDL static form and unbound-method call
    dst = Tensor.zeros(a.shape)
    getattr(Tensor, "static_" + name)(Tensor(a), dst)
    np.testing.assert_array_equal(dst.numpy(), out.numpy())
    np.testing.assert_array_equal(getattr(Tensor, name)(Tensor(a)).numpy(), out.numpy())


@pytest.mark.parametrize("name", ["exp", "abs", "sqrt", "sigmoid"])
def test_unary_non_contiguous_and_float64(name):
    ref, lo, hi = UNARY_REF[name]
    base = np.random.default_rng(1).uniform(max(lo, 0.01), hi, (6, 8))
    view = base[::2, 1::3]                          # float64, strided
    expected = ref(view)
    out = getattr(Tensor.from_numpy(view), name)()
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    untouched = base.copy()
    getattr(Tensor.from_numpy(view), name + "_")()   # writes through the view into base
    np.testing.assert_allclose(base[::2, 1::3], expected, rtol=1e-12)
    mask = np.ones(base.shape, bool)
    mask[::2, 1::3] = False
    np.testing.assert_array_equal(base[mask], untouched[mask])


BINARY_REF = {
    "add": np.add, "sub": np.subtract, "mult": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum, "mod": np.fmod,
}


@pytest.mark.parametrize("name", sorted(BINARY_REF))
@FAST
@given(data=st.data())
def test_binary_broadcasting(name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    el = st.floats(0.5, 4, width=32)
    a = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=el))
    b = data.draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=el))
    got = getattr(Tensor(a), name)(Tensor(b))
    assert got.shape == shapes.result_shape and got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), BINARY_REF[name](a.astype(np.float64), b),
                               rtol=2e-6, atol=2e-6)
    # scalar operand keeps float32
    s = getattr(Tensor(a), name)(1.5)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s.numpy(), BINARY_REF[name](a.astype(np.float64), 1.5), rtol=2e-6)
    # in place when the result keeps the tensor's shape
    if shapes.result_shape == a.shape:
        c = a.copy()
        assert getattr(Tensor.fromarray(c, copy=False), name + "_")(Tensor(b)) is not None
        np.testing.assert_allclose(c, BINARY_REF[name](a.astype(np.float64), b), rtol=2e-6,
                                   atol=2e-6)


def test_operators_and_reverse_operators():
    a = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    t = Tensor(a)
    np.testing.assert_allclose((t + 1).numpy(), a + 1)
    np.testing.assert_allclose((1 + t).numpy(), 1 + a)
    np.testing.assert_allclose((10 - t).numpy(), 10 - a)
    np.testing.assert_allclose((2 / t).numpy(), 2 / a, rtol=1e-6)
    np.testing.assert_allclose((2 ** t).numpy(), 2 ** a, rtol=1e-6)
    np.testing.assert_allclose((t ** 2).numpy(), a ** 2)
    np.testing.assert_allclose((7 % t).numpy(), np.fmod(7, a))
    np.testing.assert_allclose((-t).numpy(), -a)
    np.testing.assert_allclose(abs(-t).numpy(), a)
    np.testing.assert_allclose((t * t - t / t).numpy(), a * a - 1, rtol=1e-6)
    np.testing.assert_allclose((t + a[0]).numpy(), a + a[0])  # NumPy operand
    u = t.clone()
    ref = u._data
    u += 1
    u *= 2
    u -= 1
    u /= 2
    assert u._data is ref
    np.testing.assert_allclose(u.numpy(), ((a + 1) * 2 - 1) / 2)
    with pytest.raises(TypeError):
        t + "x"


def test_comparisons_return_bool_tensors():
    a = np.array([[1, 2, 3], [3, 2, 1]], np.float32)
    t = Tensor(a)
    for op, ref in [("__lt__", np.less), ("__le__", np.less_equal), ("__gt__", np.greater),
                    ("__ge__", np.greater_equal), ("__eq__", np.equal), ("__ne__", np.not_equal)]:
        r = getattr(t, op)(2)
        assert r.dtype == np.bool_
        np.testing.assert_array_equal(r.numpy(), ref(a, 2))
    np.testing.assert_array_equal(t.greater(Tensor(a[::-1].copy())).numpy(), a > a[::-1])
    u = t.clone()
    assert u.greater_equal_(2) is u and u.dtype == np.float32
    np.testing.assert_array_equal(u.numpy(), (a >= 2).astype(np.float32))
    assert not (t == "x")  # unrelated types compare unequal instead of raising


def test_logic_and_value_tests():
    a = np.array([0.0, 1.0, np.nan, np.inf, -np.inf, 2.0], np.float32)
    t = Tensor(a)
    for name, ref in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
                      ("isposinf", np.isposinf), ("isneginf", np.isneginf)]:
        np.testing.assert_array_equal(getattr(t, name)().numpy(), ref(a))
    assert t.anynan() and not Tensor.ones([2]).anynan()
    b = Tensor(np.array([1, 0, 1, 0, 1, 0], np.float32))
    np.testing.assert_array_equal(t.logical_and(b).numpy(), np.logical_and(a, b.numpy()))
    np.testing.assert_array_equal(t.logical_or(b).numpy(), np.logical_or(a, b.numpy()))
    np.testing.assert_array_equal(t.logical_xor(b).numpy(), np.logical_xor(a, b.numpy()))
    np.testing.assert_array_equal(b.logical_not().numpy(), [False, True] * 3)
    x = Tensor(np.array([1.0, 2.0], np.float32))
    assert x.allclose(x + 1e-7) and not x.allclose(x + 1e-2)
    assert Tensor.equivalent(x, x.clone(), verbose=False) == 1
    assert Tensor.equivalent(x, Tensor.zeros([3]), verbose=False) == 0
    w = Tensor.where(x > 1.5, x, -x)
    np.testing.assert_array_equal(w.numpy(), [-1.0, 2.0])


def test_dtype_rules():
    i = Tensor(np.arange(4, dtype=np.int32), dtype="int32")
    assert i.dtype == np.int32
    assert (i + 1).dtype == np.int32
    assert (i + 1.5).dtype == np.float64
    assert i.exp().dtype == np.float64
    assert (i / 2).dtype == np.float64
    f = Tensor.ones([3])
    assert (f + Tensor.ones([3], dtype="float64")).dtype == np.float64
    assert (f + np.float32(2)).dtype == np.float32
    assert (f + 2).dtype == np.float32
    i.add_(2)
    np.testing.assert_array_equal(i.numpy(), [2, 3, 4, 5])
    with pytest.raises(TypeError, match="exp_: result is float64 but the tensor is int32"):
        i.exp_()
    with pytest.raises(TypeError, match="div_"):
        i.div_(2)
    with pytest.raises(TypeError, match="bool"):
        Tensor.ones([2], dtype=bool).add(1)
    with pytest.raises(TypeError, match="bool"):
        Tensor.ones([2], dtype=bool).exp()
    with pytest.raises(ValueError, match="does not fit"):
        Tensor.ones([2], dtype="uint8").add(300)
    with pytest.raises(TypeError, match="complex"):
        f.add(1j)


def test_shape_errors():
    a, b = Tensor.ones([2, 3]), Tensor.ones([4])
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        a + b
    with pytest.raises(ValueError, match="in-place ops cannot grow"):
        Tensor.ones([1, 3]).add_(Tensor.ones([2, 3]))
    with pytest.raises(TypeError, match="expected a Tensor"):
        a.add("x")


def test_zero_size():
    e = Tensor.zeros([0, 3])
    assert e.exp().shape == (0, 3)
    assert (e + Tensor.ones([3])).shape == (0, 3)
    assert e.normalize_().shape == (0, 3)


def test_clamp_family():
    a = np.linspace(-3, 3, 13, dtype=np.float32)
    t = Tensor(a)
    np.testing.assert_array_equal(t.clamp(-1, 2).numpy(), np.clip(a, -1, 2))
    np.testing.assert_array_equal(t.clampmin(0).numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal(t.clampmax(0).numpy(), np.minimum(a, 0))
    np.testing.assert_array_equal(t.clip(-1, 1).numpy(), np.clip(a, -1, 1))
    u = t.clone()
    assert u.clamp_(-1, 1) is u
    np.testing.assert_array_equal(u.numpy(), np.clip(a, -1, 1))
    with pytest.raises(ValueError, match="min 2 is greater than max 1"):
        t.clamp(2, 1)


def test_parametrised_ops():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 3, (3, 4)).astype(np.float32)
    a64 = a.astype(np.float64)
    t = Tensor(a)
    np.testing.assert_allclose(t.pow(2.5).numpy(), a64 ** 2.5, rtol=1e-6)
    np.testing.assert_allclose(t.pow(t).numpy(), a64 ** a64, rtol=1e-5)
    np.testing.assert_allclose(t.powb(2).numpy(), 2 ** a64, rtol=1e-6)
    np.testing.assert_allclose(t.inv().numpy(), 1 / a64, rtol=1e-6)
    np.testing.assert_allclose(t.inv(3).numpy(), 3 / a64, rtol=1e-6)
    np.testing.assert_allclose(t.rsqrt().numpy(), 1 / np.sqrt(a64), rtol=1e-6)
    np.testing.assert_allclose(t.logn(3).numpy(), np.log(a64) / np.log(3), rtol=1e-5, atol=1e-6)
    for name, args, ref in [("pow", (2.0,), a64 ** 2), ("powb", (2,), 2 ** a64),
                            ("inv", (2.0,), 2 / a64), ("rsqrt", (), 1 / np.sqrt(a64)),
                            ("logn", (2,), np.log2(a64))]:
        u = t.clone()
        assert getattr(u, name + "_")(*args) is u
        np.testing.assert_allclose(u.numpy(), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="logn: base"):
        t.logn(1)
    s = Tensor(np.array([-2, 0, 3], np.float32))
    np.testing.assert_array_equal(s.sign().numpy(), [-1, 0, 1])
    np.testing.assert_array_equal(s.sign(zero_sign=1.0).numpy(), [-1, 1, 1])
    np.testing.assert_array_equal(s.clone().sign_(0.5).numpy(), [-1, 0.5, 1])


def test_mod_and_remainder_signs():
    a = np.array([-7, -3, 0, 3, 7], np.float32)
    t = Tensor(a)
    np.testing.assert_array_equal(t.mod(3).numpy(), np.fmod(a, 3))
    np.testing.assert_array_equal(t.remainder(3).numpy(), np.remainder(a, 3))
    np.testing.assert_array_equal(t.remainder(-3).numpy(), np.remainder(a, -3))
    np.testing.assert_array_equal(t.clone().remainder_(3).numpy(), np.remainder(a, 3))


def test_normalize_and_fill():
    a = np.array([[2.0, 4.0], [6.0, 10.0]], np.float32)
    t = Tensor(a)
    np.testing.assert_allclose(t.normalize(0, 1).numpy(), (a - 2) / 8, rtol=1e-6)
    np.testing.assert_allclose(t.normalize(-1, 1).numpy(), (a - 2) / 8 * 2 - 1, rtol=1e-6)
    np.testing.assert_array_equal(Tensor.full([3], 5.0).normalize(1, 2).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(t.fill(7).numpy(), np.full((2, 2), 7))
    assert t.fill_(3) is t and (t == 3).all()
    with pytest.raises(ValueError, match="normalize: min"):
        t.normalize(2, 1)


def test_static_binary_forms():
    a, b = Tensor.full([2, 2], 3.0), Tensor.full([2, 2], 2.0)
    c = Tensor.zeros([2, 2])
    for fn, v in [(Tensor.static_add, 5), (Tensor.static_sub, 1), (Tensor.static_mult, 6),
                  (Tensor.static_div, 1.5)]:
        fn(a, b, c)
        np.testing.assert_array_equal(c.numpy(), np.full((2, 2), v))
    Tensor.el_mult(a, b, c, 1)
    np.testing.assert_array_equal(c.numpy(), np.full((2, 2), 7.5))
    Tensor.inc(a, c)
    np.testing.assert_array_equal(c.numpy(), np.full((2, 2), 10.5))
    with pytest.raises(ValueError, match="output shape"):
        Tensor.static_add(a, b, Tensor.zeros([3]))


@pytest.mark.parametrize("da,db", [("float32", "float64"), ("int32", "float32"),
                                   ("int64", "int64"), ("uint8", "int16"), ("float64", "int8")])
@pytest.mark.parametrize("name", ["add", "sub", "mult", "div", "maximum"])
def test_binary_dtype_promotion_follows_numpy(name, da, db):
    a = (np.arange(1, 7).reshape(2, 3) % 5 + 1).astype(da)
    b = (np.arange(3) + 1).astype(db)
    got = getattr(Tensor.from_numpy(a), name)(Tensor.from_numpy(b))
    expected = BINARY_REF[name](a, b)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_binary_on_non_contiguous_views_and_in_place_write_through():
    rng = np.random.default_rng(4)
    base = rng.uniform(1, 2, (6, 8)).astype(np.float32)
    other = rng.uniform(1, 2, (8, 6)).astype(np.float32)
    v, w = base[::2, ::2], other.T[::2, ::2]            # strided and transposed views
    np.testing.assert_allclose((Tensor.fromarray(v, copy=False) * Tensor.fromarray(w, copy=False)).numpy(),
                               v.astype(np.float64) * w, rtol=1e-6)
    expected = v.astype(np.float64) + w
    untouched = base[1::2].copy()
    Tensor.fromarray(v, copy=False).add_(Tensor.fromarray(w, copy=False))
    np.testing.assert_allclose(base[::2, ::2], expected, rtol=1e-6)
    np.testing.assert_array_equal(base[1::2], untouched)
    f = np.asfortranarray(rng.normal(size=(3, 4)).astype(np.float32))
    np.testing.assert_allclose(Tensor.fromarray(f, copy=False).tanh().numpy(), np.tanh(f.astype(np.float64)),
                               rtol=2e-6, atol=1e-6)
