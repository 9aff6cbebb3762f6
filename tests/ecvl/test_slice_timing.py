"""SliceTimingCorrection: the C++ test cases of ECVL (core/test/test_volproc.cpp), a scalar
transcription of its per-voxel algorithm (cpu_hal_volproc.cpp) and a physical check."""

import math

import numpy as np
import pytest

import ecvl
from ecvl import ColorType, DataType, Image
from ecvl.core.errors import EcvlValueError


def _ref_kernel_val(x, w, ker):
    # cpu_hal_volproc.cpp KernelVal
    if abs(x) > w:
        return 0.0
    halfnk = (len(ker) - 1) / 2.0
    dn = x / w * halfnk + halfnk + 1.0
    n = math.floor(dn)
    dn -= n
    if n > len(ker) - 1 or n < 1:
        return 0.0
    return ker[n - 1] * (1.0 - dn) + ker[n] * dn


def _ref_sinc_kernel(w=7, n=1201):
    # cpu_hal_volproc.cpp SincKernel("hanning", 7, 1201)
    half_w, half_n = (w - 1) // 2, (n - 1) / 2.0
    out = []
    for k in range(n):
        x = (k - half_n) / half_n * half_w
        s = 1.0 - abs(x) if abs(x) < 1e-7 else math.sin(math.pi * x) / (math.pi * x)
        h = 0.0 if abs(x) > half_w else 0.5 + 0.5 * math.cos(math.pi * x / half_w)
        out.append(s * h)
    return out


def _ref_interp(series, index, ker, width=7):
    # cpu_hal_volproc.cpp KernelInterpolation (1-based sample indices)
    wx = (width - 1) // 2
    ix0 = math.floor(index)
    conv = kersum = 0.0
    for x1 in range(ix0 - wx, ix0 + wx + 1):
        if 1 <= x1 <= len(series):
            k = _ref_kernel_val(index - x1, wx, ker)
            conv += series[x1 - 1] * k
            kersum += k
    assert abs(kersum) > 1e-9
    return conv / kersum


def _ref_slice_timing(a, tr, odd, down):
    """a: (X, Y, Z, T) float64; the loops of CpuHal::SliceTimingCorrection."""
    ker = _ref_sinc_kernel()
    nx, ny, nz, nt = a.shape
    tr = tr or 3.0
    slice_spacing = tr / nz
    recenter = (nz / 2.0 - 0.5) / nz
    out = np.empty_like(a)
    for s in range(1, nz + 1):
        if odd:
            if s % 2 == 0:
                offset = recenter - (math.ceil(nz / 2) + (s - 1) // 2) * (slice_spacing / tr)
            else:
                offset = recenter - ((s - 1) // 2) * (slice_spacing / tr)
        elif down:
            offset = recenter - (nz - s) * (slice_spacing / tr)
        else:
            offset = recenter - (s - 1) * (slice_spacing / tr)
        for x in range(nx):
            for y in range(ny):
                series = a[x, y, s - 1]
                out[x, y, s - 1] = [_ref_interp(series, t + offset, ker) for t in range(1, nt + 1)]
    return out


@pytest.mark.parametrize("odd,down", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("shape", [(2, 3, 5, 9), (1, 2, 4, 2), (2, 1, 3, 1)])
def test_matches_scalar_transcription_of_ecvl(odd, down, shape):
    rng = np.random.default_rng(sum(shape) + 2 * odd + down)
    a = rng.random(shape) * 100
    img = Image.fromarray(a.astype(np.int16), "xyzt", ColorType.GRAY, spacings=[1, 1, 2, 2.5])
    out = ecvl.slice_timing_correction(img, odd, down)
    ref = _ref_slice_timing(a.astype(np.int16).astype(np.float64), 2.5, odd, down)
    assert out.elemtype_ == DataType.float32 and out.dims_ == list(shape)
    assert out.channels_ == "xyzt" and out.spacings_ == [1, 1, 2, 2.5]
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-5, atol=1e-4)
    dst = Image.empty()
    ecvl.SliceTimingCorrection(img, dst, odd, down)
    np.testing.assert_array_equal(np.asarray(dst), np.asarray(out))


def test_ecvl_gtest_cases():
    # test_volproc.cpp: a 1x1x1x1 image with spacings keeps its value; a 2x2x3x1 one too
    one = Image.fromarray(np.full((1, 1, 1, 1), 50, np.uint8), "xyzt", ColorType.GRAY,
                          spacings=[1, 2, 3, 4])
    out = ecvl.slice_timing_correction(one)
    assert out.dims_ == [1, 1, 1, 1] and np.asarray(out).item() == 50
    a = np.zeros((2, 2, 3, 1), np.float32)
    a[0, 0], a[1, 0], a[0, 1], a[1, 1] = 50, 32, 14, 60
    img = Image.fromarray(a, "xyzt", ColorType.none, spacings=[2, 4, 7, 1])
    ecvl.SliceTimingCorrection(img, img)
    np.testing.assert_array_equal(np.asarray(img), a)
    # and without spacings it throws
    with pytest.raises(EcvlValueError, match=r"one spacing per axis of 'xyzt'.*got spacings \[\]"):
        ecvl.slice_timing_correction(Image([1, 1, 1, 1], DataType.uint8, "xyzt"))


def test_a_slow_signal_is_shifted_by_the_slice_offset():
    nz, nt = 4, 64
    t = np.arange(1, nt + 1, dtype=np.float64)
    period = 16.0
    a = np.empty((1, 1, nz, nt))
    for z in range(nz):
        a[0, 0, z] = np.sin(2 * np.pi * t / period)
    img = Image.fromarray(a, "xyzt", spacings=[1, 1, 1, 2.0])
    out = np.asarray(ecvl.slice_timing_correction(img))
    offsets = ecvl.slice_timing_offsets(nz)
    inner = slice(8, nt - 8)  # away from the renormalised ends
    for z in range(nz):
        expected = np.sin(2 * np.pi * (t + offsets[z]) / period)
        # a 7-tap windowed sinc keeps the phase; its gain is within half a percent here
        np.testing.assert_allclose(out[0, 0, z, inner], expected[inner], atol=6e-3)
        wrong = np.sin(2 * np.pi * (t - offsets[z]) / period)
        assert np.abs(out[0, 0, z, inner] - wrong[inner]).max() > 0.05


def test_axis_order_and_errors():
    rng = np.random.default_rng(9)
    a = rng.random((2, 3, 4, 5))
    img = Image.fromarray(a, "xyzt", spacings=[1, 1, 1, 2])
    moved = ecvl.rearrange_channels(img, "tzyx")
    out = ecvl.slice_timing_correction(moved, odd=True)
    assert out.channels_ == "tzyx"
    np.testing.assert_allclose(out.to_numpy("xyzt"),
                               np.asarray(ecvl.slice_timing_correction(img, odd=True)), rtol=1e-6)
    with pytest.raises(EcvlValueError, match=r"axes x, y, z and t \('xyzt'\), got channels 'xyzc'"):
        ecvl.slice_timing_correction(Image([2, 2, 2, 2], DataType.uint8, "xyzc"))
    # interleaved, 5 slices: recenter 0.4; slices 1, 3, 5 take steps 0, 1, 2 and slices
    # 2, 4 steps ceil(5/2) + 0 and + 1 (cpu_hal_volproc.cpp), each step 1/5 of TR
    assert ecvl.slice_timing_offsets(5, odd=True).tolist() == pytest.approx(
        [0.4, 0.4 - 3 / 5, 0.4 - 1 / 5, 0.4 - 4 / 5, 0.4 - 2 / 5])
    assert ecvl.slice_timing_offsets(3, down=True).tolist() == pytest.approx(
        [1 / 3 - 2 / 3, 1 / 3 - 1 / 3, 1 / 3])
