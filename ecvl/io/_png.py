"""PNG decoding for the common cases, and 16-bit colour PNG encoding.

Pillow reads 16-bit colour PNG only after reducing it to 8 bits, and parses every PNG's
header in Python while holding the interpreter lock. Non-interlaced 8/16-bit gray,
gray+alpha, RGB and RGBA files (nearly all PNG in practice) are therefore decoded here,
with inflating and unfiltering outside the lock; palette, low-bit-depth and interlaced
files go through Pillow. Writing 16-bit colour PNG is here too, since Pillow cannot.
"""

import struct
import sys
import zlib

import numpy as np

from ..core.errors import ImageIOError
from . import _unfilter
from .limits import MAX_DEFLATE_RATIO, check_size

_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
_LITTLE = sys.byteorder == "little"


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode(hwc):
    """Encode an (H, W, C) uint16 array (C in 1..4) as PNG bytes."""
    h, w, c = hwc.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = np.empty((h, 1 + w * c * 2), np.uint8)
    raw[:, 0] = 0  # filter type None: simple, and zlib still compresses well
    raw[:, 1:] = hwc.astype(">u2").reshape(h, -1).view(np.uint8)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0)
    return _SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + _chunk(b"IEND", b"")


def header(data):
    """Return (width, height, bit_depth, colour_type, interlace) of PNG bytes, or None."""
    if len(data) < 33 or data[:8] != _SIG or data[12:16] != b"IHDR":
        return None
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return w, h, depth, ctype, interlace


def decodable(hdr):
    """Whether :func:`decode` reads a PNG with this :func:`header` (else Pillow does)."""
    return (hdr is not None and hdr[2] in (8, 16) and hdr[3] in _CHANNELS and not hdr[4]
            and hdr[0] > 0 and hdr[1] > 0)


def decode(data, filename):
    """Decode a non-interlaced 8- or 16-bit gray, gray+alpha, RGB or RGBA PNG.

    Returns an ``(H, W, C)`` uint8 or uint16 array, C being 1, 2, 3 or 4 as stored. Inflating
    (zlib) and unfiltering both run without the interpreter lock. Chunks other than the
    image data are checked against their CRC; the image data is covered by zlib's own
    checksum.
    """
    hdr = header(data)
    if not decodable(hdr):
        raise ImageIOError(filename, "only non-interlaced 8/16-bit gray, gray+alpha, RGB and "
                                     "RGBA PNG are decoded here")
    w, h, depth, ctype, _ = hdr
    c = _CHANNELS[ctype]
    bpp = c * depth // 8
    stride = w * bpp
    expected = h * (stride + 1)
    check_size(filename, w * h, h * stride, f"PNG header ({w}x{h})")
    compressed = _image_data(data, filename)
    if expected > MAX_DEFLATE_RATIO * len(compressed) + 1024:
        raise ImageIOError(filename, f"PNG header announces {w}x{h} pixels ({expected} bytes) but "
                                     f"{len(compressed)} bytes of image data cannot inflate to that")
    raw = _inflate(compressed, expected, filename)
    if len(raw) != expected:
        raise ImageIOError(filename, f"PNG image data has {len(raw)} bytes, expected {expected}")
    rows = np.frombuffer(raw, np.uint8).reshape(h, stride + 1)
    bad = np.flatnonzero(rows[:, 0] > 4)
    if bad.size:
        raise ImageIOError(filename, f"unknown PNG filter type {rows[bad[0], 0]} in row {bad[0]}")
    out = np.empty((h, stride), np.uint8)
    _unfilter.unfilter(rows, out, bpp)
    if depth == 8:
        return out.reshape(h, w, c)
    out = out.view(">u2").reshape(h, w, c)
    return out.byteswap().view(np.uint16) if _LITTLE else out.view(np.uint16)


def _inflate(compressed, expected, filename):
    """Inflate at most ``expected + 1`` bytes: a stream that would give more stops there."""
    d = zlib.decompressobj()
    try:
        raw = d.decompress(compressed, expected + 1)
    except zlib.error as e:
        raise ImageIOError(filename, f"corrupt PNG image data ({e})") from None
    if len(raw) > expected:
        raise ImageIOError(filename, f"PNG image data inflates to more than the {expected} bytes "
                                     "its header announces")
    if not d.eof:
        raise ImageIOError(filename, "corrupt PNG image data (incomplete or truncated stream)")
    return raw


def _image_data(data, filename):
    pos, idat = 8, []
    while pos + 8 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        if pos + 12 + n > len(data):
            raise ImageIOError(filename, f"truncated PNG chunk {tag!r}")
        if tag == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + n])
        elif tag == b"IEND":
            return b"".join(idat)
        elif zlib.crc32(data[pos + 4:pos + 8 + n]) & 0xFFFFFFFF != \
                struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            raise ImageIOError(filename, f"PNG chunk {tag!r} fails its CRC check (corrupt file)")
        pos += 12 + n
    raise ImageIOError(filename, "truncated PNG (no IEND chunk)")
