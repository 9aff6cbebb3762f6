"""The raster reader's pixel paths (decoding into NumPy memory, one-pass export) vs Pillow."""

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl.io import _pillow, raster


@pytest.mark.parametrize("mode,ext", [("L", "png"), ("RGB", "png"), ("RGBA", "png"),
                                      ("RGB", "jpg"), ("L", "jpg"), ("RGB", "bmp")])
@pytest.mark.parametrize("size", [(1, 1), (7, 3), (131, 67)])
def test_read_matches_pillow(tmp_path, mode, ext, size):
    rng = np.random.default_rng(size[0] * 7 + len(mode))
    c = len(mode)
    arr = rng.integers(0, 256, (size[1], size[0], c), dtype=np.uint8)
    path = tmp_path / f"a.{ext}"
    PILImage.fromarray(arr[..., 0] if c == 1 else arr, mode).save(path)
    with PILImage.open(path) as pil:
        ref = np.asarray(pil)
    ref = ref[..., None] if ref.ndim == 2 else ref
    img = ecvl.imread(path, ecvl.ImReadMode.UNCHANGED)
    assert img.canonical().shape == ref.shape and img.elemtype_ == ecvl.DataType.uint8
    np.testing.assert_array_equal(img.canonical(), ref)


def test_falls_back_when_the_encoder_interface_differs(tmp_path, monkeypatch):
    arr = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    path = tmp_path / "a.bmp"  # BMP is exported from Pillow's memory, not decoded into ours
    PILImage.fromarray(arr).save(path)

    real, calls = raster.PILImage._getencoder, []

    def broken_once(*args, **kwargs):  # the reader's own call fails, Pillow's later ones work
        calls.append(args)
        if len(calls) == 1:
            raise AttributeError("no such encoder interface")
        return real(*args, **kwargs)

    monkeypatch.setattr(raster.PILImage, "_getencoder", broken_once)
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), arr)
    assert len(calls) == 2


def _write(tmp_path, mode, ext, h, w, seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (h, w, len(mode)), dtype=np.uint8)
    path = tmp_path / f"d.{ext}"
    PILImage.fromarray(arr[..., 0] if len(mode) == 1 else arr, mode).save(path)
    with PILImage.open(path) as pil:
        ref = np.asarray(pil)
    return path, ref[..., None] if ref.ndim == 2 else ref


@pytest.mark.parametrize("mode,ext", [("L", "png"), ("RGB", "png"), ("RGBA", "png"),
                                      ("RGB", "jpg"), ("L", "jpg")])
@pytest.mark.parametrize("h,w", [(1, 1), (2, 1), (1, 5), (33, 17)])
def test_decoding_into_numpy_memory_matches_pillow(tmp_path, mode, ext, h, w):
    path, ref = _write(tmp_path, mode, ext, h, w, seed=h * w)
    with PILImage.open(path) as pil:
        a = _pillow.decode_direct(pil)
    assert a is not None, "JPEG/PNG in L/RGB/RGBA take the direct path"
    assert a.flags.c_contiguous and a.dtype == np.uint8
    np.testing.assert_array_equal(a, ref)


def test_large_rgb_is_packed_on_several_threads_identically(tmp_path, monkeypatch):
    path, ref = _write(tmp_path, "RGB", "png", 67, 45)
    monkeypatch.setattr(_pillow, "_PARALLEL_PIXELS", 1)
    before = ecvl.get_num_threads()
    ecvl.set_num_threads(2)
    try:
        np.testing.assert_array_equal(ecvl.imread(path).canonical(), ref)
    finally:
        ecvl.set_num_threads(before)


@pytest.mark.parametrize("mode,ext", [("P", "png"), ("RGB", "bmp"), ("RGB", "tif")])
def test_other_frames_take_pillows_path(tmp_path, mode, ext):
    arr = np.arange(6 * 5 * 3, dtype=np.uint8).reshape(6, 5, 3)
    pil_img = PILImage.fromarray(arr)
    path = tmp_path / f"o.{ext}"
    (pil_img.convert("P") if mode == "P" else pil_img).save(path)
    with PILImage.open(path) as pil:
        assert _pillow.decode_direct(pil) is None
    with PILImage.open(path) as pil:
        ref = np.asarray(pil.convert("RGB"))
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), ref)


def test_falls_back_when_buffers_cannot_be_mapped(tmp_path, monkeypatch):
    path, ref = _write(tmp_path, "RGB", "jpg", 9, 11)

    def refuse(*args):
        raise ValueError("buffer mapping not supported")

    monkeypatch.setattr(_pillow.PILImage.core, "map_buffer", refuse)
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), ref)


def test_truncated_file_still_names_the_file(tmp_path):
    path, _ = _write(tmp_path, "RGB", "png", 40, 40)
    data = path.read_bytes()
    bad = tmp_path / "bad.png"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ecvl.EcvlError, match="bad.png"):
        ecvl.imread(bad)


def test_pack_kernel_checks_shapes():
    from ecvl.io import _pack
    with pytest.raises(ValueError, match="do not match"):
        _pack.rgbx_to_rgb(np.zeros((2, 3, 4), np.uint8), np.zeros((2, 2, 3), np.uint8), 1)


def _jpeg(tmp_path, arr, name="j.jpg", **kw):
    path = tmp_path / name
    PILImage.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(path, **kw)
    with PILImage.open(path) as pil:
        ref = np.asarray(pil)
    return path, ref[..., None] if ref.ndim == 2 else ref


@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("h,w", [(1, 1), (9, 31), (64, 48)])
@pytest.mark.parametrize("kw", [{}, {"progressive": True}, {"subsampling": 0},
                                {"restart_marker_blocks": 1}, {"quality": 30, "optimize": True},
                                {"exif": b"Exif\x00\x00" + b"\x00" * 40,
                                 "icc_profile": b"\x01" * 300, "comment": b"made by tests"}])
def test_jpeg_decoded_without_pillows_parser_matches_pillow(tmp_path, c, h, w, kw):
    arr = np.random.default_rng(h * w + c).integers(0, 256, (h, w, c), dtype=np.uint8)
    path, ref = _jpeg(tmp_path, arr, **kw)
    data = path.read_bytes()
    assert _pillow.jpeg_frame(data) == (h, w, c)
    np.testing.assert_array_equal(_pillow.decode_jpeg(data), ref)
    np.testing.assert_array_equal(ecvl.imread(path, ecvl.ImReadMode.UNCHANGED).canonical(), ref)


def test_cmyk_jpeg_goes_through_pillow(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, (8, 6, 4), dtype=np.uint8)
    path = tmp_path / "cmyk.jpg"
    PILImage.fromarray(arr, "CMYK").save(path)
    assert _pillow.decode_jpeg(path.read_bytes()) is None
    with PILImage.open(path) as pil:
        ref = np.asarray(pil.convert("RGB"))
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), ref)


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.99])
def test_truncated_jpeg_names_the_file(tmp_path, cut):
    arr = np.random.default_rng(2).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    path, _ = _jpeg(tmp_path, arr)
    data = path.read_bytes()
    with pytest.raises(OSError, match="truncated"):
        _pillow.decode_jpeg(data[: int(len(data) * cut)])
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ecvl.EcvlError, match="cut.jpg"):
        ecvl.imread(bad)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF",
                                  b"\xff\xd8\xff\xda\x00\x02", b"\xff\xd8\x00\x00\x00",
                                  b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x10\x03",
                                  b"\xff\xd8\xff\xc0\x00\x11\x0c\x00\x10\x00\x10\x03",
                                  b"\xff\xd8\xff\xc3\x00\x11\x08\x00\x10\x00\x10\x03"])
def test_unparsable_or_unsupported_headers_are_left_to_pillow(data):
    assert _pillow.jpeg_frame(data) is None
    assert _pillow.decode_jpeg(data) is None


def test_load_truncated_images_setting_is_honoured(tmp_path, monkeypatch):
    from PIL import ImageFile
    arr = np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    path, _ = _jpeg(tmp_path, arr)
    data = path.read_bytes()
    bad = tmp_path / "pad.jpg"
    bad.write_bytes(data[: len(data) * 2 // 3])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert ecvl.imread(bad).dims_ == [32, 32, 3]


def test_decompression_bomb_limit_still_applies(tmp_path, monkeypatch):
    arr = np.zeros((40, 40, 3), np.uint8)
    path, _ = _jpeg(tmp_path, arr)
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100)
    assert _pillow.decode_jpeg(path.read_bytes()) is None
    with pytest.raises(ecvl.EcvlError, match="j.jpg"):
        ecvl.imread(path)


@pytest.mark.parametrize("w", list(range(1, 20)) + [31, 32, 33, 257])
@pytest.mark.parametrize("threads", [1, 2])
def test_simd_and_scalar_packing_agree(w, threads):
    from ecvl.io import _pack
    src = np.random.default_rng(w).integers(0, 256, (3, w, 4), dtype=np.uint8)
    for simd in (True, False):
        _pack.set_simd(simd)
        try:
            dst = np.empty((3, w, 3), np.uint8)
            _pack.rgbx_to_rgb(src, dst, threads)
        finally:
            _pack.set_simd(True)
        np.testing.assert_array_equal(dst, src[..., :3])


def test_packing_never_writes_past_a_row():
    from ecvl.io import _pack
    for w in range(1, 40):
        src = np.random.default_rng(w).integers(0, 256, (2, w, 4), dtype=np.uint8)
        buf = np.full(2 * w * 3 + 32, 0xAB, np.uint8)
        dst = buf[:2 * w * 3].reshape(2, w, 3)
        _pack.rgbx_to_rgb(src, dst, 1)
        np.testing.assert_array_equal(dst, src[..., :3])
        assert (buf[2 * w * 3:] == 0xAB).all(), w
