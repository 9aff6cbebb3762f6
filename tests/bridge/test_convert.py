import numpy as np
import pytest

import ecvl
import eddl
from bridge import ImageToTensor, TensorToImage, TensorToView, image_to_array
from ecvl import ColorType, Image

DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64]


def _ref_chw(a_xfirst, channels):
    """Reference: x-first array with axes `channels` -> channels-first (C, [D,] H, W)."""
    order = {"xyc": "cyx", "xyo": "oyx", "cxy": "cyx", "yxc": "cyx", "xyz": "zyx",
             "xyzc": "czyx", "xy": "yx"}[channels]
    out = np.transpose(a_xfirst, [channels.index(ch) for ch in order]).astype(np.float64)
    return out[None] if channels == "xy" else out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels,shape", [("xyc", (7, 5, 3)), ("cxy", (3, 7, 5)),
                                            ("yxc", (5, 7, 2)), ("xyo", (6, 4, 4)),
                                            ("xyz", (6, 5, 3)), ("xyzc", (5, 4, 3, 2)),
                                            ("xy", (9, 4))])
def test_image_to_tensor_matches_numpy(dtype, channels, shape):
    rng = np.random.default_rng(0)
    a = (rng.random(shape) * 200).astype(dtype)
    for copy in (True, False):  # canonical storage and arbitrary (wrapped) storage
        img = Image.fromarray(a, channels, ColorType.none, copy=copy)
        t = ImageToTensor(img)
        ref = _ref_chw(a, channels)
        assert t.numpy().dtype == np.float32
        assert t.shape == ref.shape
        np.testing.assert_array_equal(t.numpy(), ref.astype(np.float32))


# ECVL 1.0.3 support_eddl.cpp, ImageToTensor(img, t, offset): the image's C*H*W float values
# are memcpy'd to t->ptr + C*H*W*offset after checking t->size >= C*H*W*(offset+1), whatever
# t's shape (PyECVL test_eddl.py stores several images in one tensor this way).
@pytest.mark.parametrize("shape", [(2 * 36,), (3, 24), (2, 3, 3, 4), (4, 3, 3, 4), (1, 80)])
def test_offset_is_a_flat_copy_at_offset_times_image_size(shape):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (4, 3, 3), dtype=np.uint8)  # x, y, c: 36 values
    img = Image.fromarray(a, "xyc", ColorType.RGB)
    t = eddl.Tensor(np.full(shape, -1, np.float32))
    assert ImageToTensor(img, t, 1) is t
    flat = t.numpy().reshape(-1)
    expected = np.full(flat.size, -1, np.float32)
    expected[36:72] = a.transpose(2, 1, 0).ravel()  # [C, H, W] order, as ImageToTensor(img)
    np.testing.assert_array_equal(flat, expected)
    np.testing.assert_array_equal(flat[36:72], ImageToTensor(img).numpy().ravel())


def test_non_contiguous_source_and_scaling():
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, (20, 16, 3), dtype=np.uint8)
    a = big[::2, 1::3]  # strided x-first view
    img = Image.fromarray(a, "xyc", ColorType.RGB, copy=False)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    t = ImageToTensor(img, scale=1 / 255, mean=mean, std=std)
    ref = (a.transpose(2, 1, 0) / 255.0 - np.array(mean)[:, None, None]) / \
        np.array(std)[:, None, None]
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_batch_slot_write_and_errors():
    a = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    img = Image.fromarray(a, "xyc", ColorType.RGB)
    batch = eddl.Tensor(np.zeros((2, 3, 3, 4), np.float32))
    assert ImageToTensor(img, batch, 1) is batch
    np.testing.assert_array_equal(batch.numpy()[1], a.transpose(2, 1, 0))
    assert not batch.numpy()[0].any()
    with pytest.raises(ValueError, match="offset 2"):
        ImageToTensor(img, batch, 2)
    with pytest.raises(ValueError, match="both"):
        ImageToTensor(img, batch)
    with pytest.raises(ValueError, match=r"offset 3 needs room for 144 values .* holds 96"):
        ImageToTensor(img, eddl.Tensor(np.zeros((2, 3, 4, 4), np.float32)), 3)
    with pytest.raises(ValueError, match="offset must be an int >= 0"):
        ImageToTensor(img, batch, -1)
    with pytest.raises(ValueError, match="destination"):
        image_to_array(img, out=np.zeros((3, 3, 4), np.float64))
    with pytest.raises(ValueError, match="std"):
        ImageToTensor(img, std=[1, 0, 1])
    with pytest.raises(ValueError, match="mean"):
        ImageToTensor(img, mean=[1, 2])
    with pytest.raises(TypeError, match="ecvl.Image"):
        ImageToTensor(a)
    with pytest.raises(ValueError, match="empty"):
        ImageToTensor(Image.empty())
    with pytest.raises(ValueError, match="time axis"):
        ImageToTensor(Image([2, 2, 2], ecvl.DataType.uint8, "xyt"))


def test_tensor_to_image_round_trip():
    rng = np.random.default_rng(2)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    img = TensorToImage(eddl.Tensor(chw))
    assert img.dims_ == [7, 5, 3] and img.channels_ == "xyo"
    assert img.colortype_ == ColorType.none
    np.testing.assert_array_equal(ImageToTensor(img).numpy(), chw)
    nchw = rng.random((2, 3, 4, 5)).astype(np.float32)
    img = TensorToImage(eddl.Tensor(nchw))
    assert img.dims_ == [5, 4, 6]
    np.testing.assert_array_equal(np.asarray(img), nchw.reshape(6, 4, 5).transpose(2, 1, 0))
    rgb = TensorToImage(eddl.Tensor(chw), ColorType.RGB)
    assert rgb.channels_ == "xyc" and rgb.colortype_ == ColorType.RGB
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        TensorToImage(eddl.Tensor(np.zeros((4, 5), np.float32)))


def test_tensor_to_view_aliases_memory():
    t = eddl.Tensor(np.zeros((2, 3, 4), np.float32))
    v = TensorToView(t)
    assert v.dims_ == [4, 3, 2]
    np.asarray(v)[3, 2, 1] = 7.0
    assert t.numpy()[1, 2, 3] == 7.0
    t.numpy()[0, 0, 0] = -1.0
    assert np.asarray(v)[0, 0, 0] == -1.0
    assert ecvl.View_float32(v)[3, 2, 1] == 7.0
    # PyECVL: TensorToView returns a View_float32 (ECVL support_eddl.cpp TensorToView)
    assert type(v) is ecvl.View_float32 and not v.IsOwner() and v[3, 2, 1] == 7.0


def test_lazy_names_in_ecvl():
    assert ecvl.ImageToTensor is ImageToTensor
    assert ecvl.DLDataset.__name__ == "DLDataset"
    assert ecvl.TensorToImage is TensorToImage and ecvl.TensorToView is TensorToView
    with pytest.raises(AttributeError):
        _ = ecvl.NotAName
