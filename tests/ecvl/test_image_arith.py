"""ConvertTo, saturating arithmetic and statistics against float64 NumPy references."""

import numpy as np
import pytest

import ecvl
from ecvl import DataType, Image

INT_TYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32]
ALL_TYPES = INT_TYPES + [np.int64, np.float32, np.float64]


def _ref_cast(x, dtype, saturate=True):
    """float64 reference of ECVL's saturate_cast / C cast."""
    dt = np.dtype(dtype)
    x = np.asarray(x, np.float64)
    if dt.kind == "f":
        return x.astype(dt)
    info = np.iinfo(dt)
    if saturate:
        vals = [0 if np.isnan(v) else min(max(int(v), info.min), info.max) for v in np.rint(x).ravel()]
        return np.array(vals, dtype=dt).reshape(x.shape)
    span = 2 ** (8 * dt.itemsize)
    vals = [((int(v) - info.min) % span) + info.min for v in np.trunc(x).ravel()]
    return np.array(vals, dtype=dt).reshape(x.shape)


def _ref_arith(x, dtype, saturate=True):
    """ECVL arithmetic into `dtype`: fractional results truncated toward zero in both modes
    (cpu_hal_arithmetic.cpp: C integer division; saturate_cast clamps, then casts)."""
    if np.dtype(dtype).kind == "f":
        return _ref_cast(x, dtype, saturate)
    return _ref_cast(np.trunc(np.asarray(x, np.float64)), dtype, saturate)


def _rand(rng, dtype, shape):
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 200).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -(2 ** 20)), min(info.max, 2 ** 20)
    return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("src", ALL_TYPES)
@pytest.mark.parametrize("dst", ALL_TYPES)
def test_convert_to_matches_reference(src, dst):
    rng = np.random.default_rng(3)
    a = _rand(rng, src, (7, 5))
    if np.dtype(src).kind == "f":
        a.ravel()[:6] = np.array([0.5, 1.5, 2.5, -0.5, -1e30, 1e30], dtype=src)
    img = Image.fromarray(a, "xy")
    for sat in (True, False):
        if not sat and np.dtype(src).kind == "f" and np.dtype(dst).kind != "f":
            a_ok = np.abs(a.astype(np.float64)) < 2 ** 31
            ref = _ref_cast(np.where(a_ok, a, 0), dst, False)
            got = np.asarray(ecvl.convert_to(Image.fromarray(np.where(a_ok, a, 0).astype(src), "xy"), dst, sat))
        else:
            ref = _ref_cast(a, dst, sat) if not (np.dtype(src).kind in "iu" and np.dtype(dst).kind in "iu"
                                                 and not sat) else a.astype(dst)
            got = np.asarray(ecvl.convert_to(img, dst, sat))
        assert got.dtype == np.dtype(dst)
        np.testing.assert_array_equal(got, ref)


def test_convert_to_method_and_function():
    img = Image.fromarray(np.array([[1.5, -2.5, 300.0, np.nan]]).T, "xy")
    ecvl.ConvertTo(img, img, DataType.uint8)
    assert img.elemtype_ == DataType.uint8 and np.asarray(img).ravel().tolist() == [2, 0, 255, 0]
    img2 = Image.fromarray(np.array([[-129, 128]], np.int16), "xy")
    img2.ConvertTo(DataType.int8, saturate=False)
    assert np.asarray(img2).ravel().tolist() == [127, -128]
    assert img2.astype(np.float32).elemtype_ == DataType.float32


OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0),
}


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("dtype", INT_TYPES + [np.float32, np.float64])
def test_image_image_saturating(op, dtype):
    rng = np.random.default_rng(5)
    a, b = _rand(rng, dtype, (9, 7, 3)), _rand(rng, dtype, (9, 7, 3))
    if op == "div":
        b.ravel()[::5] = 0
    ia, ib = Image.fromarray(a, "xyc"), Image.fromarray(b, "xyc")
    ref64 = OPS[op](a.astype(np.float64), b.astype(np.float64))
    if op == "div" and np.dtype(dtype).kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            ref64 = a.astype(np.float64) / b.astype(np.float64)
    got = getattr(ecvl, op)(ia, ib)
    np.testing.assert_allclose(np.asarray(got), _ref_arith(ref64, dtype),
                               rtol=1e-6 if dtype == np.float32 else 0)
    dst = Image.empty()
    getattr(ecvl, op.capitalize())(ia, ib, dst, DataType.float64)
    if op == "div":  # a float destination follows IEEE division: x/0 is inf or nan
        with np.errstate(divide="ignore", invalid="ignore"):
            ref64 = a.astype(np.float64) / b.astype(np.float64)
    np.testing.assert_allclose(np.asarray(dst), ref64, rtol=1e-12)


@pytest.mark.parametrize("dtype", INT_TYPES)
def test_wrapping_without_saturation(dtype):
    rng = np.random.default_rng(6)
    a, b = _rand(rng, dtype, (11, 3)), _rand(rng, dtype, (11, 3))
    got = ecvl.add(Image.fromarray(a, "xy"), Image.fromarray(b, "xy"), saturate=False)
    np.testing.assert_array_equal(np.asarray(got), _ref_cast(a.astype(np.float64) + b, dtype, False))


def test_scalar_forms_and_operators():
    a = np.array([[0, 100, 200, 250]], np.uint8).T
    img = Image.fromarray(a, "xy")
    assert np.asarray(img + 10).ravel().tolist() == [10, 110, 210, 255]
    assert np.asarray(10 - img).ravel().tolist() == [10, 0, 0, 0]
    assert np.asarray(img * 1.5).ravel().tolist() == [0, 150, 255, 255]
    assert np.asarray(img / 3).ravel().tolist() == [0, 33, 66, 83]  # truncated, as ECVL
    assert np.asarray(600 / img).ravel().tolist() == [0, 6, 3, 2]
    assert np.asarray(img - 0.5).ravel().tolist() == [0, 99, 199, 249]  # 99.5 -> 99 (truncated)
    parent = Image.fromarray(np.zeros((4, 4), np.uint8), "xy")
    view = parent[1:3, 1:3]
    view += 7
    assert np.asarray(parent).sum() == 28  # in place on a view writes through
    ecvl.Add(3, img, img)  # scalar-image form, result in src2's type
    assert np.asarray(img).ravel().tolist() == [3, 103, 203, 253]
    img.Sub(img)
    assert np.asarray(img).max() == 0


def test_neg():
    a = Image.fromarray(np.array([[-128, -5, 127]], np.int8).T, "xy")
    assert np.asarray(-a).ravel().tolist() == [127, 5, -127]
    assert np.asarray(ecvl.neg(a, saturate=False)).ravel().tolist() == [-128, 5, -127]
    d = Image.empty()
    ecvl.Neg(a, d, DataType.int16)
    assert np.asarray(d).ravel().tolist() == [128, 5, -127]
    a.Neg()
    assert np.asarray(a).ravel().tolist() == [127, 5, -127]
    u = Image.fromarray(np.array([[3]], np.uint8), "xy")
    assert np.asarray(-u).item() == 0


def test_arithmetic_errors():
    a = Image([4, 3], DataType.uint8, "xy")
    with pytest.raises(ecvl.EcvlValueError, match=r"dims \[4, 3\] 'xy' vs \[3, 4\] 'xy'"):
        ecvl.add(a, Image([3, 4], DataType.uint8, "xy"))
    with pytest.raises(ecvl.EcvlValueError, match="differ"):
        ecvl.Add(a, Image([4, 3], DataType.uint8, "yx"), Image.empty())
    with pytest.raises(ecvl.EcvlTypeError, match="str"):
        ecvl.add(a, "x")
    with pytest.raises(ecvl.EcvlValueError, match="empty"):
        ecvl.add(a, Image.empty())
    with pytest.raises(TypeError):
        a + "x"


def test_non_contiguous_operands():
    rng = np.random.default_rng(8)
    base = rng.integers(0, 255, (10, 8, 3)).astype(np.uint8)
    img = Image.fromarray(base, "xyc")[::2, 1::2]
    other = Image.fromarray(rng.integers(0, 255, (5, 4, 3)).astype(np.uint8), "xyc")
    ref = np.clip(np.asarray(img).astype(int) + np.asarray(other), 0, 255)
    np.testing.assert_array_equal(np.asarray(ecvl.add(img, other)), ref)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32])
def test_statistics(dtype):
    rng = np.random.default_rng(9)
    a = _rand(rng, dtype, (13, 7, 3))
    img = Image.fromarray(a, "xyc")
    a64 = a.astype(np.float64)
    assert img.min() == a.min() and img.max() == a.max()
    assert img.mean() == pytest.approx(a64.mean()) and img.std() == pytest.approx(a64.std())
    np.testing.assert_allclose(img.mean(per_channel=True), a64.reshape(-1, 3).mean(0))
    np.testing.assert_allclose(img.std(per_channel=True), a64.reshape(-1, 3).std(0))
    np.testing.assert_array_equal(img.min(per_channel=True), a.reshape(-1, 3).min(0))
    stats = ecvl.image_stats(img)
    assert stats["max"] == a.max()
    counts, edges = ecvl.histogram(img, bins=16)
    rng_ = (0, 256) if dtype == np.uint8 else (a64.min(), a64.max())
    ref, ref_edges = np.histogram(a64, bins=16, range=rng_)
    np.testing.assert_array_equal(counts, ref)
    np.testing.assert_allclose(edges, ref_edges)
    pc, _ = img.histogram(bins=8, range=(a64.min(), a64.max() + 1), per_channel=True)
    assert pc.shape == (3, 8) and pc.sum() == a.size


def test_uint8_histogram_one_bin_per_value():
    a = np.random.default_rng(2).integers(0, 256, (20, 10)).astype(np.uint8)
    counts, edges = ecvl.histogram(Image.fromarray(a, "xy"))
    np.testing.assert_array_equal(counts, np.bincount(a.ravel(), minlength=256))
    assert edges[0] == 0 and edges[-1] == 256
    with pytest.raises(ecvl.EcvlValueError, match="bins"):
        ecvl.histogram(Image.fromarray(a, "xy"), bins=0)


def test_moments_against_reference():
    rng = np.random.default_rng(4)
    a = rng.random((9, 6))  # x, y
    img = Image.fromarray(a, "xy")
    x = np.arange(9)[:, None]
    y = np.arange(6)[None, :]
    m = img.moments(order=2)
    for p in range(3):
        for q in range(3):
            assert m[p, q] == pytest.approx((x ** p * y ** q * a).sum())
    cx, cy = m[1, 0] / m[0, 0], m[0, 1] / m[0, 0]
    mu = ecvl.image_moments(img, 2, central=True)
    assert mu[1, 1] == pytest.approx(((x - cx) * (y - cy) * a).sum())
    assert abs(mu[1, 0]) < 1e-9
    # same numbers whatever the axis order
    r = ecvl.rearrange_channels(img, "yx")
    np.testing.assert_allclose(ecvl.image_moments(r, 2), m)
    with pytest.raises(ecvl.EcvlValueError, match="single-channel"):
        ecvl.image_moments(Image([3, 3, 3], DataType.uint8, "xyc"))


@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_large_arrays_any_thread_count(threads):
    old = ecvl.get_num_threads()
    ecvl.set_num_threads(threads)
    try:
        rng = np.random.default_rng(10)
        a = rng.integers(0, 255, (131, 67, 3)).astype(np.uint8)
        b = rng.integers(0, 255, (131, 67, 3)).astype(np.uint8)
        ia, ib = Image.fromarray(a, "xyc"), Image.fromarray(b, "xyc")
        np.testing.assert_array_equal(np.asarray(ecvl.sub(ia, ib)), np.clip(a.astype(int) - b, 0, 255))
        np.testing.assert_array_equal(np.asarray(ia * 1.7), _ref_arith(a * 1.7, np.uint8))
        np.testing.assert_allclose(np.asarray(ecvl.mul(ia, 1.7, DataType.float32)),
                                   (a * 1.7).astype(np.float32), rtol=1e-6)
        f = (rng.standard_normal(a.shape) * 300).astype(np.float32)
        np.testing.assert_array_equal(np.asarray(ecvl.convert_to(Image.fromarray(f, "xyc"), np.int8)),
                                      _ref_cast(f, np.int8))
    finally:
        ecvl.set_num_threads(old)


# ECVL 1.0.3 cpu_hal_arithmetic.cpp (StructDivII and the scalar forms): integer operands
# divide as C integers (PromoteDiv), a float result goes through saturate_cast, which clamps
# and then static_casts: so 11 / 2 is 5 and -11 / 2 is -5 with and without saturation.
@pytest.mark.parametrize("saturate", [True, False])
@pytest.mark.parametrize("dtype", INT_TYPES + [np.int64])
def test_integer_division_truncates_in_both_modes(dtype, saturate):
    signed = np.dtype(dtype).kind == "i"
    a = np.array([[11, 7, 1, 9] + ([-11, -7] if signed else [13, 15])], dtype).T
    b = np.array([[2, 3, 2, 4, 2, 3]], dtype).T
    ia, ib = Image.fromarray(a, "xy"), Image.fromarray(b, "xy")
    expected = np.trunc(a.astype(np.float64) / b).astype(dtype)
    np.testing.assert_array_equal(np.asarray(ecvl.div(ia, ib, saturate=saturate)), expected)
    dst = Image.empty()
    ecvl.Div(ia, ib, dst, saturate=saturate)
    np.testing.assert_array_equal(np.asarray(dst), expected)
    np.testing.assert_array_equal(np.asarray(ecvl.div(ia, 2, saturate=saturate)),
                                  np.trunc(a.astype(np.float64) / 2).astype(dtype))
    if dtype == np.int16:
        assert np.asarray(ecvl.div(Image.fromarray(np.array([[11]], np.int16), "xy"), 2,
                                   saturate=saturate)).item() == 5


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("saturate", [True, False])
def test_fractional_results_truncate_for_every_operator(op, saturate):
    # the float operand makes the promoted type double (type_promotion.h); the store into
    # the int16 destination truncates whatever `saturate` says
    a = np.array([[10, -10, 3, -3, 7]], np.int16).T
    f = np.array([[0.75, 0.75, 0.5, 0.5, 1.9]], np.float32).T
    img, fimg = Image.fromarray(a, "xy"), Image.fromarray(f, "xy")
    ref = OPS[op](a.astype(np.float64), f.astype(np.float64))
    got = getattr(ecvl, op)(img, fimg, saturate=saturate)
    assert got.elemtype_ == DataType.int16
    np.testing.assert_array_equal(np.asarray(got), _ref_arith(ref, np.int16, saturate))
    scalar = getattr(ecvl, op)(img, 0.75, saturate=saturate)
    np.testing.assert_array_equal(np.asarray(scalar),
                                  _ref_arith(OPS[op](a.astype(np.float64), np.full_like(ref, 0.75)),
                                             np.int16, saturate))


def test_saturation_still_clamps_after_truncation():
    a = Image.fromarray(np.array([[250, 3]], np.uint8).T, "xy")
    assert np.asarray(ecvl.mul(a, 1.5)).ravel().tolist() == [255, 4]
    assert np.asarray(ecvl.mul(a, 1.5, saturate=False)).ravel().tolist() == [119, 4]  # 375 wraps
    assert np.asarray(ecvl.sub(a, 3.5)).ravel().tolist() == [246, 0]  # -0.5 -> 0


_ARRAY_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}


@pytest.mark.parametrize("sym", list(_ARRAY_OPS))
def test_operators_with_arrays_work_in_both_orders(sym):
    # PyECVL: NumPy reads an Image through the buffer protocol (shape == dims_), so an
    # Image meeting an array gives NumPy's result in either order
    a = np.arange(1, 13, dtype=np.int16).reshape(3, 4)
    img = Image.fromarray(a[::-1].copy(), "xy")
    other = np.arange(2, 14, dtype=np.float32).reshape(3, 4)
    ufunc = _ARRAY_OPS[sym]
    left = eval(f"other {sym} img")
    right = eval(f"img {sym} other")
    assert isinstance(left, np.ndarray) and isinstance(right, np.ndarray)
    np.testing.assert_array_equal(left, ufunc(other, np.asarray(img)))
    np.testing.assert_array_equal(right, ufunc(np.asarray(img), other))


@pytest.mark.parametrize("sym", list(_ARRAY_OPS))
@pytest.mark.parametrize("scalar", [3, 2.5, np.int16(3), np.float32(2.5), np.uint8(4)])
def test_reflected_operators_with_scalars(sym, scalar):
    a = np.array([[1, 2, 5, 9]], np.int16).T
    img = Image.fromarray(a, "xy")
    op = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[sym]
    got = eval(f"scalar {sym} img")
    assert isinstance(got, Image) and got.elemtype_ == DataType.int16
    np.testing.assert_array_equal(np.asarray(got), np.asarray(getattr(ecvl, op)(scalar, img)))
    ref = _ARRAY_OPS[sym](np.float64(scalar), a.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(got), _ref_arith(ref, np.int16))


def test_augmented_assignment_with_an_array_stays_an_image():
    img = Image.fromarray(np.array([[250, 3]], np.uint8).T, "xy")
    same = img
    img += np.array([[10, 4]], np.uint8).T
    assert img is same and np.asarray(img).ravel().tolist() == [255, 7]
    img /= np.array([[2, 2]], np.int32).T
    assert img is same and np.asarray(img).ravel().tolist() == [127, 3]
    with pytest.raises(ecvl.EcvlValueError, match="dims"):
        img -= np.zeros((3, 1), np.uint8)
    with pytest.raises(TypeError):
        img += "text"


@pytest.mark.parametrize("k", [0, 1, 2, 3, 2.0, 127, 255, 256, 1000, -2])
def test_uint8_times_an_integral_scalar_saturates_exactly(k):
    # the 16-bit product kernel (integral k in [0, 255]) and the generic loop (others) agree
    # with the saturated exact product, over sizes that leave vector tails
    rng = np.random.default_rng(abs(int(k)) + 1)
    a = rng.integers(0, 256, (37, 29, 3), dtype=np.uint8)
    img = ecvl.Image.from_canonical(a, "xyc")
    got = (img * k).canonical()
    ref = np.clip(a.astype(np.int64) * int(k), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.asarray(ecvl.mul(img, k)), np.asarray(img * k))
