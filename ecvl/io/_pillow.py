"""Pillow frames to NumPy arrays with as little copying, and as little GIL, as possible.

``np.asarray(frame)`` copies twice (Pillow packs its pixels in 64 KiB pieces, then joins them)
while holding the interpreter lock. For the frames that matter in bulk, the decoder instead
writes straight into memory NumPy owns: Pillow maps a buffer as the image to decode into, and
its decoders release the lock while they run.
"""

import numpy as np
from PIL import Image as PILImage

from .._runtime import get_num_threads
from . import _pack

__all__ = ["decode_direct", "packed_array"]

# frame mode -> (mode of the mapped buffer, bytes per pixel in it)
_DIRECT = {"L": ("L", 1), "RGB": ("RGBX", 4), "RGBA": ("RGBA", 4)}
# formats whose load() decodes into the image prepared beforehand (checked by identity after)
_DIRECT_FORMATS = {"JPEG", "PNG"}
_PACK = {"L": 1, "RGB": 3, "RGBA": 4}
_PARALLEL_PIXELS = 1 << 21


def _pack_rgb(buf):
    h, w = buf.shape[:2]
    out = np.empty((h, w, 3), np.uint8)
    _pack.rgbx_to_rgb(buf, out, get_num_threads() if h * w >= _PARALLEL_PIXELS else 1)
    return out


def decode_direct(pil):
    """Load a just-opened JPEG/PNG frame into an ``(H, W, C)`` uint8 array, or return None.

    None means the frame is not one this path handles (other formats and modes, frames
    already loaded, or a Pillow whose internals differ); the caller then loads it the
    ordinary way. Decoding errors propagate.
    """
    spec = _DIRECT.get(pil.mode)
    if spec is None or pil.format not in _DIRECT_FORMATS or getattr(pil, "_im", 1) is not None:
        return None
    w, h = pil.size
    if not w or not h:
        return None
    mapmode, px = spec
    buf = np.empty((h, w, px), np.uint8)
    try:
        target = PILImage.core.map_buffer(buf, (w, h), "raw", 0, (mapmode, 0, 1))
        pil.im = target
    except (AttributeError, TypeError, ValueError):
        return None
    pil.load()
    if pil.im is not target:  # Pillow replaced the image memory: use what it decoded
        return None
    return _pack_rgb(buf) if pil.mode == "RGB" else buf


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
