"""Tensor methods PyEDDL binds: resize, repeat_desc, static_rsqrt, the out-of-place
fill_rand_* and the random augmentations flip_random / crop_random."""

import numpy as np
import pytest

from eddl import Tensor, manual_seed

RNG = np.random.default_rng(11)


def test_resize_changes_the_batch_in_place():
    # src/tensor/tensor.cpp Tensor::resize: shape[0] = b; nothing when b is the size
    a = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    t = Tensor(a)
    assert t.resize(4) is t and t.shape == [4, 2, 3]
    np.testing.assert_array_equal(t.numpy(), a)
    t.resize(6)
    assert t.shape == [6, 2, 3] and t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy()[:4], a)
    np.testing.assert_array_equal(t.numpy()[4:], 0)
    t.resize(2)
    np.testing.assert_array_equal(t.numpy(), a[:2])
    assert t.resize(0).shape == [0, 2, 3]
    with pytest.raises(ValueError, match="b"):
        t.resize(-1)
    with pytest.raises(ValueError, match="pointer"):
        t.resize(3, fptr=1)
    with pytest.raises(ValueError, match="0-d"):
        Tensor(np.float32(1.0)).resize(2)


@pytest.mark.parametrize("repeats,axis", [(2, 0), ([1, 3, 2], 1), (3, -1)])
def test_repeat_desc_is_numpy_repeat(repeats, axis):
    # src/tensor/tensor_core.cpp Tensor::repeat_desc: same output as repeat, via a descriptor
    a = RNG.normal(size=(2, 3, 3))
    r = Tensor.repeat_desc(Tensor(a, dtype="float64"), repeats, axis)
    np.testing.assert_array_equal(r.numpy(), np.repeat(a, repeats, axis=axis))
    out = Tensor(list(r.shape), dtype="float64")
    assert Tensor.repeat_desc(Tensor(a, dtype="float64"), repeats, axis, out) is out
    np.testing.assert_array_equal(out.numpy(), r.numpy())


def test_static_rsqrt_writes_the_output():
    a = RNG.uniform(0.1, 4.0, size=(3, 4))
    B = Tensor([3, 4], dtype="float64")
    assert Tensor.static_rsqrt(Tensor(a, dtype="float64"), B) is B
    np.testing.assert_allclose(B.numpy(), 1 / np.sqrt(a), rtol=1e-15)
    with pytest.raises(ValueError, match="shape"):
        Tensor.static_rsqrt(Tensor(a), Tensor([4, 3]))


@pytest.mark.parametrize("name,args,check", [
    ("fill_rand_uniform", (3.0,), lambda x: x.min() >= 0 and x.max() < 3 and x.mean() > 1.2),
    ("fill_rand_signed_uniform", (2.0,), lambda x: x.min() >= -2 and x.max() < 2 and x.min() < -1),
    ("fill_rand_normal", (5.0, 0.5), lambda x: abs(x.mean() - 5) < 0.1 and abs(x.std() - 0.5) < 0.1),
    ("fill_rand_binary", (0.25,), lambda x: set(np.unique(x)) <= {0, 1} and 0.15 < x.mean() < 0.35),
])
def test_out_of_place_fills_match_the_in_place_ones(name, args, check):
    # src/tensor/tensor_generator.cpp: t_new = empty_like(this); t_new->fill_..._(v)
    t = Tensor.zeros([40, 50])
    manual_seed(5)
    r = getattr(t, name)(*args)
    assert r is not t and r.shape == t.shape and r.dtype == t.dtype
    np.testing.assert_array_equal(t.numpy(), 0)          # the original is untouched
    manual_seed(5)
    np.testing.assert_array_equal(r.numpy(), getattr(t.clone(), name + "_")(*args).numpy())
    assert check(r.numpy())


@pytest.mark.parametrize("axis", [0, 1])
def test_flip_random_flips_each_sample_or_keeps_it(axis):
    # src/hardware/cpu/cpu_da.cpp cpu_flip_random: sample b flipped when uniform >= 0.5
    a = RNG.normal(size=(64, 2, 3, 4)).astype(np.float32)
    manual_seed(1)
    r = Tensor(a).flip_random(axis).numpy()
    flipped = np.flip(a, axis=2 + axis)
    same = [np.array_equal(r[b], a[b]) for b in range(64)]
    mirrored = [np.array_equal(r[b], flipped[b]) for b in range(64)]
    assert all(s or m for s, m in zip(same, mirrored))
    assert 16 < sum(mirrored) < 48
    manual_seed(1)
    np.testing.assert_array_equal(Tensor(a).flip_random(axis).numpy(), r)
    with pytest.raises(ValueError, match="axis"):
        Tensor(a).flip_random(2)
    with pytest.raises(ValueError, match="4-D"):
        Tensor(a[0]).flip_random(0)


def test_crop_random_takes_a_window_of_each_sample():
    # src/tensor/tensor_da.cpp Tensor::crop_random: a [B, C, height, width] window per sample
    a = RNG.normal(size=(40, 2, 6, 5)).astype(np.float32)
    manual_seed(2)
    r = Tensor(a).crop_random(3, 2).numpy()
    assert r.shape == (40, 2, 3, 2)
    origins = set()
    for b in range(40):
        found = [(y, x) for y in range(4) for x in range(4)
                 if np.array_equal(r[b], a[b, :, y:y + 3, x:x + 2])]
        assert found, b
        origins.update(found)
    assert len(origins) > 5
    assert np.array_equal(Tensor(a).crop_random(6, 5).numpy(), a)


def test_crop_random_keep_size_keeps_the_window_in_place():
    a = RNG.uniform(1, 2, size=(10, 3, 6, 5)).astype(np.float32)
    r = Tensor(a).crop_random(3, 2, cval=-1.0, keep_size=True).numpy()
    assert r.shape == a.shape
    for b in range(10):
        inside = r[b, 0] != -1.0
        ys, xs = np.nonzero(inside)
        assert inside.sum() == 6 and np.ptp(ys) == 2 and np.ptp(xs) == 1
        np.testing.assert_array_equal(r[b][:, inside], a[b][:, inside])
        assert (r[b][:, ~inside] == -1.0).all()


@pytest.mark.parametrize("h,w", [(0, 2), (7, 2), (3, 6), (2.5, 2)])
def test_crop_random_rejects_bad_windows(h, w):
    with pytest.raises(ValueError, match="crop_random"):
        Tensor.zeros([1, 1, 6, 5]).crop_random(h, w)
