"""HLSinf buffer layouts against EDDL's address formulas, one element at a time."""

import numpy as np
import pytest

from eddl.backend.fpga import layout


@pytest.mark.parametrize("c,cpi", [(3, 4), (8, 4), (5, 8), (16, 16)])
def test_ghwc_follows_eddls_transform(rng, c, cpi):
    n, h, w = 2, 3, 5
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    cp = layout.padded(c, cpi)
    flat = np.zeros(n * cp * h * w, np.float32)
    for b, ch, r, s in np.ndindex(n, c, h, w):  # fpga_transform_nn
        g, k = divmod(ch, cpi)
        flat[b * cp * h * w + g * h * w * cpi + r * w * cpi + s * cpi + k] = x[b, ch, r, s]
    got = layout.to_ghwc(x, cpi)
    assert got.shape == (n, cp // cpi, h, w, cpi) and got.flags.c_contiguous
    np.testing.assert_array_equal(got.ravel(), flat)
    np.testing.assert_array_equal(layout.from_ghwc(got, c), x)


@pytest.mark.parametrize("f,c,cpi,cpo", [(4, 3, 4, 4), (10, 9, 8, 8), (16, 20, 16, 8)])
def test_filters_follow_eddls_gihwcpi(rng, f, c, cpi, cpo):
    kh = kw = 3
    w = rng.standard_normal((f, c, kh, kw))
    fo, ci = layout.padded(f, cpo), layout.padded(c, cpi)
    gi = ci // cpi
    flat = np.zeros(fo * ci * kh * kw)
    for o, i, r, s in np.ndindex(f, c, kh, kw):  # filter_IHW_to_GIHWCPI
        (g_i, k_i), (g_o, k_o) = divmod(i, cpi), divmod(o, cpo)
        flat[g_o * gi * cpo * cpi * kh * kw + g_i * cpo * cpi * kh * kw + k_o * cpi * kh * kw
             + k_i * kh * kw + r * kw + s] = w[o, i, r, s]
    np.testing.assert_array_equal(layout.filters_gihwcpi(w, cpi, cpo).ravel(), flat)


def test_bn_values_and_errors():
    got = layout.bn_values([1, 2], [3, 4], [5, 6], [7, 8], 4)
    np.testing.assert_array_equal(got, [[1, 3, 5, 7], [2, 4, 6, 8], [0] * 4, [0] * 4])
    with pytest.raises(ValueError, match="one equal length"):
        layout.bn_values([1], [1, 2], [1], [1], 4)
    with pytest.raises(ValueError, match="must have 4 axes"):
        layout.to_ghwc(np.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match="do not fit"):
        layout.from_ghwc(np.zeros((1, 1, 2, 2, 4)), 5)
    assert layout.padded(9, 8) == 16 and layout.padded(8, 8) == 8
