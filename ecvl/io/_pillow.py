"""Pillow frames to NumPy arrays with as little copying, and as little GIL, as possible.

``np.asarray(frame)`` copies twice (Pillow packs its pixels in 64 KiB pieces, then joins them)
while holding the interpreter lock. For the frames that matter in bulk, the decoder instead
writes straight into memory NumPy owns: Pillow maps a buffer as the image to decode into, and
its decoders release the lock while they run.
"""

import os

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFile

from _deephealth.runtime import get_num_threads

from . import _pack

__all__ = ["decode_direct", "decode_jpeg", "packed_array"]

# frame mode -> (mode of the mapped buffer, bytes per pixel in it)
_DIRECT = {"L": ("L", 1), "RGB": ("RGBX", 4), "RGBA": ("RGBA", 4)}
# formats whose load() decodes into the image prepared beforehand (checked by identity after)
_DIRECT_FORMATS = {"JPEG", "PNG"}
_PACK = {"L": 1, "RGB": 3, "RGBA": 4}
# Huffman-coded baseline, extended and progressive frames: what Pillow's JPEG plug-in hands
# to the same decoder after parsing the header in Python
_JPEG_SOF = (0xC0, 0xC1, 0xC2)
_JPEG_MODES = {1: "L", 3: "RGB"}
_PARALLEL_PIXELS = 1 << 21


def _pack_rgb(buf):
    h, w = buf.shape[:2]
    out = np.empty((h, w, 3), np.uint8)
    _pack.rgbx_to_rgb(buf, out, get_num_threads() if h * w >= _PARALLEL_PIXELS else 1)
    return out


def _file_size(fp):
    try:
        return os.fstat(fp.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # in-memory streams
        return 0


def _map(h, w, mode):
    """NumPy buffer for an ``(H, W)`` frame of ``mode`` and the Pillow image mapped onto it."""
    mapmode, px = _DIRECT[mode]
    buf = np.empty((h, w, px), np.uint8)
    return buf, PILImage.core.map_buffer(buf, (w, h), "raw", 0, (mapmode, 0, 1))


def _finish(buf, mode):
    return _pack_rgb(buf) if mode == "RGB" else buf


def jpeg_frame(data):
    """``(height, width, components)`` of an 8-bit Huffman JPEG from its SOF marker, or None."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        m = data[i + 1]
        if m == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if m == 0x01 or 0xD0 <= m <= 0xD7:  # markers without a length
            i += 2
            continue
        if m in (0xD9, 0xDA):  # image end or scan start before any frame header
            return None
        if m in _JPEG_SOF:
            if i + 10 > n or data[i + 4] != 8:
                return None
            h = (data[i + 5] << 8) | data[i + 6]
            w = (data[i + 7] << 8) | data[i + 8]
            return (h, w, data[i + 9]) if h and w else None
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):  # other frame types
            return None
        i += 2 + ((data[i + 2] << 8) | data[i + 3])
    return None


def decode_jpeg(data):
    """Decode a whole JPEG file held in ``data`` into an ``(H, W, C)`` uint8 array.

    Covers 8-bit gray and colour JPEGs (baseline, extended, progressive) with Pillow's
    decoder, skipping Pillow's header parsing in Python: the only interpreter work is
    finding the frame header. Returns None for anything else (CMYK, 12-bit, lossless,
    arithmetic coding, unparsable headers), which the caller then reads through Pillow.
    Truncated or corrupt data raise OSError.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # Pillow's own loader knows how to pad such files
        return None
    frame = jpeg_frame(data)
    if frame is None or frame[2] not in _JPEG_MODES:
        return None
    h, w, c = frame
    limit = PILImage.MAX_IMAGE_PIXELS
    if limit and h * w > limit:  # Pillow's decompression-bomb warning or error applies
        return None
    mode = _JPEG_MODES[c]
    try:
        buf, target = _map(h, w, mode)
        decoder = PILImage._getdecoder(mode, "jpeg", (mode, ""))
    except (AttributeError, TypeError, ValueError, OSError):
        return None
    try:
        decoder.setimage(target, (0, 0, w, h))
        n, err = decoder.decode(data)
    finally:
        decoder.cleanup()
    if n >= 0:  # the decoder still wants data
        raise OSError("image file is truncated")
    if err < 0:
        raise OSError(f"JPEG {ImageFile.ERRORS.get(err, f'decoder error {err}')}")
    return _finish(buf, mode)


def decode_direct(pil):
    """Load a just-opened JPEG/PNG frame into an ``(H, W, C)`` uint8 array, or return None.

    None means the frame is not one this path handles (other formats and modes, frames
    already loaded, or a Pillow whose internals differ); the caller then loads it the
    ordinary way. Decoding errors propagate.
    """
    if pil.mode not in _DIRECT or pil.format not in _DIRECT_FORMATS or getattr(pil, "_im", 1) is not None:
        return None
    w, h = pil.size
    if not w or not h:
        return None
    try:
        buf, target = _map(h, w, pil.mode)
        pil.im = target
    except (AttributeError, TypeError, ValueError):
        return None
    size = _file_size(pil.fp)
    if size:  # hand the decoder the whole file at once instead of 64 KiB pieces
        pil.decodermaxblock = max(pil.decodermaxblock, size)
    pil.load()
    if pil.im is not target:  # Pillow replaced the image memory: use what it decoded
        return None
    return _finish(buf, pil.mode)


def packed_array(frame):
    """``(H, W, C)`` uint8 array of an already loaded L/RGB/RGBA frame, packed in one pass.

    Asking the raw encoder for the whole image at once gives one buffer, which NumPy then
    wraps without copying. Falls back to ``np.asarray`` if Pillow's encoder interface ever
    behaves differently.
    """
    w, h = frame.size
    c = _PACK[frame.mode]
    n = w * h * c
    if n:
        try:
            enc = PILImage._getencoder(frame.mode, "raw", frame.mode)
            try:
                enc.setimage(frame.im, (0, 0, w, h))
                _, status, data = enc.encode(n + 1)
            finally:
                enc.cleanup()
            if status == 1 and len(data) == n:
                return np.frombuffer(data, np.uint8).reshape(h, w, c)
        except (AttributeError, TypeError, ValueError, RuntimeError, OSError):
            pass
    a = np.asarray(frame)
    return a[..., None] if a.ndim == 2 else a
