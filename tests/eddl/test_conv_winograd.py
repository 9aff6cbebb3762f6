"""Winograd F(2x2, 3x3) convolutions (eddl.backend.cpu._winograd): forward and input gradient
against the float64 einsum reference of the tiled tests, over odd sizes, paddings (the padding
after an axis implied by the output size), chunks that split block rows, accumulation, one
and two threads; which convolutions take it; bad arguments; gradients of a layer."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.backend.cpu import _winograd, conv

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402
from test_conv_tiled import reference  # noqa: E402

sys.path.pop(0)


@pytest.fixture
def calls(monkeypatch):
    """Winograd for every eligible convolution, in chunks of 16 blocks; counts its calls."""
    monkeypatch.setattr(conv, "WINOGRAD_MIN_BLOCKS", 1)
    monkeypatch.setattr(conv, "WINOGRAD_CHUNK_ELEMENTS", 1)
    monkeypatch.setattr(conv, "FLIP_MIN_CHANNELS", 1)
    count = []
    run = _winograd.conv3x3

    def counted(*args):
        count.append(args[0].shape)
        return run(*args)
    monkeypatch.setattr(_winograd, "conv3x3", counted)
    return count


CASES = [  # batch, channels, filters, (H, W), pads (before, after) per axis
    (2, 4, 5, (13, 11), ((1, 1), (1, 1))),
    (1, 6, 4, (9, 17), ((0, 0), (0, 0))),
    (3, 5, 7, (8, 7), ((2, 2), (2, 2))),
    (2, 4, 4, (10, 9), ((1, 0), (0, 1))),
    (1, 8, 6, (4, 4), ((1, 1), (1, 1))),
    (2, 4, 4, (3, 5), ((0, 0), (1, 1))),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_winograd_matches_reference(calls, case, dtype, threads):
    n, c, f, sp, pads = case
    rng = np.random.default_rng(sum(sp) + c)
    x = rng.standard_normal((n, c) + sp).astype(dtype)
    w = rng.standard_normal((f, c, 3, 3)).astype(dtype)
    out = tuple(s + p[0] + p[1] - 2 for s, p in zip(sp, pads))
    dy = rng.standard_normal((n, f) + out).astype(dtype)
    y_ref, dx_ref, _ = reference(x, w, dy, (1, 1), pads, (1, 1), 1)
    before = [p[0] for p in pads]
    tol = 1e-12 if dtype == np.float64 else 2e-5
    prev = eddl.set_num_threads(threads)
    try:
        y = conv.conv_forward(x, w, np.full(dy.shape, np.nan, dtype), (1, 1), before, (1, 1))
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol * 10)
        base = rng.standard_normal(dy.shape).astype(dtype)
        got = conv.conv_forward(x, w, base.copy(), (1, 1), before, (1, 1), accumulate=True)
        np.testing.assert_allclose(got, base + y_ref, rtol=tol, atol=tol * 10)
        assert len(calls) == 2
        if conv._flipped_padding(dy, w, x, (1, 1), before, (1, 1)) is not None:
            dx = conv.conv_backward_data(dy, w, np.full(x.shape, np.nan, dtype), (1, 1), before,
                                         (1, 1))
            np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol * 10)
            assert len(calls) == 3
    finally:
        eddl.set_num_threads(prev)


def test_winograd_is_taken_for_large_3x3_stride_1_convolutions(monkeypatch):
    seen = []
    run = _winograd.conv3x3
    monkeypatch.setattr(_winograd, "conv3x3", lambda *a: (seen.append(a[0].shape), run(*a)))
    rng = np.random.default_rng(0)

    def forward(n, c, f, hw, k=3, stride=1, groups=1, dil=1):
        x = rng.standard_normal((n, c) + hw).astype(np.float32)
        w = rng.standard_normal((f, c // groups, k, k)).astype(np.float32)
        o = tuple((s + 2 * (k // 2) * dil - dil * (k - 1) - 1) // stride + 1 for s in hw)
        y = np.empty((n, f) + o, np.float32)
        conv.conv_forward(x, w, y, (stride,) * 2, (k // 2 * dil,) * 2, (dil,) * 2, groups)
        return len(seen)

    assert forward(1, 16, 16, (32, 32)) == 1          # 256 blocks
    assert forward(1, 16, 16, (30, 30)) == 1          # 225 blocks: too few
    assert forward(2, 16, 16, (16, 16), k=5) == 1     # 5x5
    assert forward(2, 16, 16, (34, 34), stride=2) == 1
    assert forward(2, 16, 16, (32, 32), groups=2) == 1
    assert forward(2, 16, 16, (32, 32), dil=2) == 1
    assert forward(2, 2, 16, (32, 32)) == 1           # RGB-like inputs keep the direct path
    monkeypatch.setattr(conv, "WINOGRAD", False)
    assert forward(1, 16, 16, (32, 32)) == 1


def test_winograd_kernel_rejects_bad_arguments():
    x = np.zeros((1, 4, 1, 6, 6), np.float32)
    w = np.zeros((5, 4, 1, 3, 3), np.float32)
    y = np.zeros((1, 5, 1, 6, 6), np.float32)
    U = np.zeros(_winograd.transformed_size(5, 4), np.float32)
    work = np.zeros(_winograd.work_size(5, 4, 16, 6), np.float32)
    args = ((0, 1, 1), U, work, 16, False, 1)
    _winograd.conv3x3(x, w, y, *args)
    with pytest.raises(ValueError, match="workspace"):
        _winograd.conv3x3(x, w, y, (0, 1, 1), U, work[:-1], 16, False, 1)
    with pytest.raises(ValueError, match="transformed weights"):
        _winograd.conv3x3(x, w, y, (0, 1, 1), U[:-1], work, 16, False, 1)
    with pytest.raises(ValueError, match="3x3"):
        _winograd.conv3x3(x, np.zeros((5, 4, 1, 3, 2), np.float32), y, *args)
    with pytest.raises(ValueError, match="chunk"):
        _winograd.conv3x3(x, w, y, (0, 1, 1), U, work, 0, False, 1)
    with pytest.raises(ValueError, match="weights"):
        _winograd.conv3x3(x, np.zeros((5, 3, 1, 3, 3), np.float32), y, *args)


@pytest.mark.parametrize("make,shape", [
    (lambda i: eddl.Conv2D(i, 4, [3, 3], [1, 1], "same", True), (4, 7, 6)),
    (lambda i: eddl.Conv2D(i, 5, [3, 3], [1, 1], "valid", False), (4, 6, 9)),
])
def test_winograd_gradients_by_finite_differences(calls, make, shape):
    check_gradients(make, [shape], batch=2)
    assert calls
