"""The PNG decoder against a reference filter encoder, Pillow and OpenCV."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl.io import _png

cv2 = pytest.importorskip("cv2")


def _forward(rows, bpp, ftype, prev):
    """Reference PNG filter of one row (int arrays), straight from the specification."""
    def left(x):  # the byte one pixel to the left, zero before the row starts
        return np.concatenate([np.zeros(bpp, np.int64), x])[:len(x)]

    a, b, c = left(rows), prev, left(prev)
    if ftype == 0:
        pred = np.zeros_like(rows)
    elif ftype == 1:
        pred = a
    elif ftype == 2:
        pred = b
    elif ftype == 3:
        pred = (a + b) // 2
    else:
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return (rows - pred) & 0xFF


def _chunk(tag, body):
    return struct.pack(">I", len(body)) + tag + body + \
        struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)


def _png_bytes(hwc, filters, extra=b""):
    h, w, c = hwc.shape
    depth = hwc.dtype.itemsize * 8
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = hwc.astype(">u2" if depth == 16 else np.uint8).reshape(h, -1).view(np.uint8)
    raw = raw.astype(np.int64)
    bpp = c * depth // 8
    out, prev = [], np.zeros(raw.shape[1], np.int64)
    for r in range(h):
        f = filters[r % len(filters)]
        out.append(bytes([f]) + _forward(raw[r], bpp, f, prev).astype(np.uint8).tobytes())
        prev = raw[r]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra +
            _chunk(b"IDAT", zlib.compress(b"".join(out))) + _chunk(b"IEND", b""))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("c", [1, 2, 3, 4])
@pytest.mark.parametrize("h,w", [(1, 1), (2, 3), (17, 5), (9, 33)])
def test_every_filter_type_decodes_exactly(tmp_path, dtype, c, h, w):
    rng = np.random.default_rng(h * 100 + w * 10 + c)
    hi = np.iinfo(dtype).max
    hwc = rng.integers(0, hi + 1, (h, w, c), dtype=np.int64).astype(dtype)
    for filters in ([0], [1], [2], [3], [4], [4, 3, 2, 1, 0]):
        data = _png_bytes(hwc, filters)
        np.testing.assert_array_equal(_png.decode(data, "t.png"), hwc)
    # the reference encoder agrees with OpenCV's decoder on the last file
    path = tmp_path / "f.png"
    path.write_bytes(data)
    ref = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    ref = ref.reshape(h, w, -1)
    if c >= 2:  # OpenCV gives BGR(A), and gray+alpha as BGRA
        ref = ref[..., {2: [0, 3], 3: [2, 1, 0], 4: [2, 1, 0, 3]}[c]]
    np.testing.assert_array_equal(ref, hwc)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16"])
def test_imread_matches_pillow_on_pillows_own_files(tmp_path, mode):
    rng = np.random.default_rng(5)
    if mode == "I;16":
        pil = PILImage.fromarray(rng.integers(0, 65536, (23, 31), dtype=np.uint16))
    else:
        c = len(mode)
        pil = PILImage.fromarray(rng.integers(0, 256, (23, 31, c), dtype=np.uint8).squeeze(), mode)
    path = tmp_path / "p.png"
    pil.save(path)
    assert _png.decodable(_png.header(path.read_bytes()))
    with PILImage.open(path) as p:
        want = np.asarray(p.convert("RGBA") if mode == "LA" else p)
    want = want[..., None] if want.ndim == 2 else want
    got = ecvl.imread(path, ecvl.ImReadMode.UNCHANGED).canonical()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_sixteen_bit_colour_with_paeth_rows_is_fast_and_exact(tmp_path):
    hwc = np.random.default_rng(1).integers(0, 65536, (256, 256, 3), dtype=np.uint16)
    data = _png_bytes(hwc, [4])
    np.testing.assert_array_equal(_png.decode(data, "p.png"), hwc)


@pytest.mark.parametrize("kind", ["palette", "interlaced", "low_depth"])
def test_other_pngs_are_left_to_pillow(tmp_path, kind):
    rng = np.random.default_rng(2)
    arr = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    path = tmp_path / "o.png"
    if kind == "palette":
        PILImage.fromarray(arr).convert("P").save(path)
    elif kind == "interlaced":  # a 1x1 Adam7 image has only pass 1: the same bytes
        arr = arr[:1, :1]
        data = bytearray(_png_bytes(arr, [0]))
        data[28] = 1  # interlace method in IHDR, then its CRC
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
        path.write_bytes(bytes(data))
    else:
        PILImage.fromarray(arr[..., 0] > 128).save(path)
    assert not _png.decodable(_png.header(path.read_bytes()))
    with PILImage.open(path) as p:
        want = np.asarray(p.convert("L") if kind == "low_depth" else p.convert("RGB"))
    want = want[..., None] if want.ndim == 2 else want
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), want)


def test_ancillary_chunks_are_skipped_and_checked(tmp_path):
    hwc = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    text = _chunk(b"tEXt", b"Comment\x00made by tests")
    np.testing.assert_array_equal(_png.decode(_png_bytes(hwc, [1], text), "a.png"), hwc)
    bad = bytearray(_png_bytes(hwc, [1], text))
    i = bad.index(b"made by")
    bad[i] ^= 0x20
    with pytest.raises(ecvl.EcvlError, match="CRC"):
        _png.decode(bytes(bad), "a.png")


@pytest.mark.parametrize("damage", ["filter", "inflate", "short", "no_iend"])
def test_damaged_image_data_is_reported(damage):
    hwc = np.arange(6 * 7, dtype=np.uint8).reshape(6, 7, 1)
    data = _png_bytes(hwc, [0])
    if damage == "filter":
        raw = bytearray(zlib.decompress(_png._image_data(data, "x")))
        raw[8] = 9  # filter byte of row 1
        data = _png_bytes(hwc, [0])[:33] + _chunk(b"IDAT", zlib.compress(bytes(raw))) + \
            _chunk(b"IEND", b"")
        match = "filter type 9 in row 1"
    elif damage == "inflate":
        i = data.index(b"IDAT") + 6
        data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        match = "corrupt PNG image data"
    elif damage == "short":
        raw = zlib.decompress(_png._image_data(data, "x"))[:-3]
        data = data[:33] + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")
        match = "expected"
    else:
        data = data[:-12]
        match = "no IEND"
    with pytest.raises(ecvl.EcvlError, match=match):
        _png.decode(data, "x.png")


def test_unfilter_checks_shapes():
    from ecvl.io import _unfilter
    with pytest.raises(ValueError, match="do not fit"):
        _unfilter.unfilter(np.zeros((2, 5), np.uint8), np.zeros((2, 5), np.uint8), 1)
