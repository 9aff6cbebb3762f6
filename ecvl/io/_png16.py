"""16-bit colour PNG, which Pillow reads only after reducing it to 8 bits.

Only what Pillow cannot do is here: encoding and decoding of non-interlaced
16-bit RGB / RGBA (colour types 2 and 6) and 16-bit gray+alpha (type 4).
"""

import struct
import zlib

import numpy as np

from ..core.errors import ImageIOError

_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


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


def decode(data, filename):
    """Decode a 16-bit non-interlaced PNG into an (H, W, C) uint16 array."""
    w, h, depth, ctype, interlace = header(data)
    if depth != 16 or ctype not in _CHANNELS or interlace:
        raise ImageIOError(filename, "only non-interlaced 16-bit PNG is decoded here")
    if w == 0 or h == 0 or w * h > 2 ** 31:
        raise ImageIOError(filename, f"PNG size {w}x{h} is not plausible")
    c = _CHANNELS[ctype]
    pos, idat = 8, []
    while pos + 8 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        if pos + 12 + n > len(data):
            raise ImageIOError(filename, f"truncated PNG chunk {tag!r}")
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(tag + body) & 0xFFFFFFFF != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            raise ImageIOError(filename, f"PNG chunk {tag!r} fails its CRC check (corrupt file)")
        if tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
        pos += 12 + n
    else:
        raise ImageIOError(filename, "truncated PNG (no IEND chunk)")
    stride = w * c * 2
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise ImageIOError(filename, f"corrupt PNG image data ({e})") from None
    if len(raw) != h * (stride + 1):
        raise ImageIOError(filename, f"PNG image data has {len(raw)} bytes, expected {h * (stride + 1)}")
    rows = np.frombuffer(raw, np.uint8).reshape(h, stride + 1)
    out = _unfilter(rows, stride, bpp=c * 2, filename=filename)
    return out.view(">u2").reshape(h, w, c).astype(np.uint16)


def _unfilter(rows, stride, bpp, filename):
    out = np.zeros((rows.shape[0], stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for r in range(rows.shape[0]):
        ftype = rows[r, 0]
        line = rows[r, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 1:  # Sub: a running sum per byte position within a pixel
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) & 0xFF
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        elif ftype in (3, 4):
            cur = _sequential(line, prev, bpp, ftype)
        else:
            raise ImageIOError(filename, f"unknown PNG filter type {ftype} in row {r}")
        out[r] = cur
        prev = cur.astype(np.int32)
    return out


def _sequential(line, prev, bpp, ftype):
    # Average and Paeth depend on the byte decoded just before: done per pixel.
    cur = line.copy()
    n = len(line)
    for i in range(n):
        a = int(cur[i - bpp]) if i >= bpp else 0
        b = int(prev[i])
        if ftype == 3:
            pred = (a + b) >> 1
        else:
            cc = int(prev[i - bpp]) if i >= bpp else 0
            p = a + b - cc
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
        cur[i] = (int(line[i]) + pred) & 0xFF
    return cur
