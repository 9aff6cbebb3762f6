"""Standard raster formats through Pillow: PNG, JPEG, BMP, TIFF and PNM.

Images read here are ``"xyc"`` (x-first public view over canonical ``(H, W, C)``
storage), gray ones with one channel. The file's bit depth is always kept.
"""

import os

import numpy as np
from PIL import Image as PILImage

from ..core.enums import ColorType, ImReadMode
from ..core.errors import ImageIOError
from ..core.image import Image
from . import _png
from ._common import atomic_path, check_readable, lower_ext, reading
from ._pillow import decode_direct, decode_jpeg, jpeg_frame, packed_array
from .limits import check_size

__all__ = ["read_raster", "read_raster_multi", "write_raster", "RASTER_EXTENSIONS"]

RASTER_EXTENSIONS = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".bmp": "BMP", ".tif": "TIFF",
    ".tiff": "TIFF", ".pgm": "PPM", ".ppm": "PPM", ".pbm": "PPM", ".pnm": "PPM",
}
_LUMA = np.array([0.299, 0.587, 0.114])
_DIRECT_COLOR = {1: ColorType.GRAY, 3: ColorType.RGB, 4: ColorType.RGBA}


def _frame_to_array(frame, filename):
    """Pillow frame -> ((H, W, C) array, ColorType in the RGB family)."""
    mode = frame.mode
    if mode == "1":
        return (np.asarray(frame.convert("L")))[..., None], ColorType.GRAY
    if mode in ("L", "RGB", "RGBA"):
        return packed_array(frame), {"L": ColorType.GRAY, "RGB": ColorType.RGB}.get(
            mode, ColorType.RGBA)
    if mode == "LA":
        a = np.asarray(frame)
        return np.concatenate([a[..., :1]] * 3 + [a[..., 1:]], axis=2), ColorType.RGBA
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in frame.info
        return _frame_to_array(frame.convert("RGBA" if has_alpha else "RGB"), filename)
    if mode.startswith("I;16"):
        return np.asarray(frame).astype(np.uint16)[..., None], ColorType.GRAY
    if mode == "I":
        a = np.asarray(frame)
        if frame.format == "PPM" and a.size and a.min() >= 0 and a.max() <= 65535:
            a = a.astype(np.uint16)  # 16-bit PGM comes back as mode I
        return a[..., None], ColorType.GRAY
    if mode == "F":
        return np.asarray(frame)[..., None], ColorType.GRAY
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa", "La"):
        return _frame_to_array(frame.convert("RGBA" if mode in ("RGBa", "La") else "RGB"), filename)
    raise ImageIOError(filename, f"unsupported Pillow image mode {mode!r}")


def _apply_flags(a, ct, flags, colortype, filename):
    flags = ImReadMode(flags)
    c = a.shape[2]
    if flags is ImReadMode.GRAYSCALE and c > 1:
        if a.dtype.kind == "f":
            a = (a[..., :3] @ _LUMA).astype(a.dtype)[..., None]
        else:
            a = np.rint(a[..., :3] @ _LUMA).astype(a.dtype)[..., None]
        ct = ColorType.GRAY
    elif flags is ImReadMode.COLOR and c == 1:
        a, ct = np.repeat(a, 3, axis=2), ColorType.RGB
    elif flags in (ImReadMode.COLOR, ImReadMode.ANYCOLOR) and c == 4:
        a, ct = a[..., :3], ColorType.RGB
    if ct is ColorType.RGB and colortype is ColorType.BGR:
        a, ct = a[..., ::-1], ColorType.BGR
    return np.ascontiguousarray(a), ct


def _open(path):
    return PILImage.open(path)


def _check_pil(pil, path, frames):
    """Check the size an opened (not yet decoded) Pillow image announces against the limits."""
    w, h = pil.size
    itemsize = 4 if pil.mode in ("I", "F") else 2 if pil.mode.startswith("I;16") else 1
    bands = max(len(pil.getbands()), 3 if pil.mode in ("P", "PA") else 1)
    check_size(path, w * h, w * h * frames * bands * itemsize, f"{pil.format or 'image'} header "
               f"({w}x{h}{f' x {frames} pages' if frames > 1 else ''})")


def read_raster(filename, flags=ImReadMode.ANYCOLOR, colortype=ColorType.RGB):
    """Read a PNG, JPEG, BMP, TIFF or PNM file into an ``"xyc"`` image.

    Parameters
    ----------
    filename : str or os.PathLike
        File to read; the format is found from its content.
    flags : ImReadMode, optional
        ``ANYCOLOR`` (default), ``COLOR``, ``GRAYSCALE`` or ``UNCHANGED`` (keeps alpha).
    colortype : ColorType, optional
        ``ColorType.RGB`` (default) or ``ColorType.BGR`` for 3-channel results.

    Returns
    -------
    Image
        uint8, uint16, int32 or float32 image, as stored in the file; the first
        page of a multi-page file.

    Raises
    ------
    ImageIOError
        The file is missing, truncated, corrupt or not a supported raster format.
    """
    path = check_readable(filename)
    with reading(path, "reading raster image"), open(path, "rb") as fh:
        return read_raster_file(fh, path, flags, colortype)


def read_raster_file(fh, path, flags=ImReadMode.ANYCOLOR, colortype=ColorType.RGB):
    """:func:`read_raster` from a binary file object at its start; `path` names it in errors."""
    with reading(path, "reading raster image"):
        head = fh.read(64)
        a = None
        if head.startswith(b"\xff\xd8\xff"):
            data = head + fh.read()
            frame = jpeg_frame(data)
            if frame is not None:
                check_size(path, frame[0] * frame[1], frame[0] * frame[1] * frame[2],
                           f"JPEG header ({frame[1]}x{frame[0]})")
            a = decode_jpeg(data)
        elif _png.decodable(_png.header(head)):
            a = _png.decode(head + fh.read(), path)
            if a.shape[2] == 2:  # gray + alpha, as Pillow's LA frames are read
                a = np.concatenate([a[..., :1]] * 3 + [a[..., 1:]], axis=2)
        fh.seek(0)
        if a is not None:
            ct = _DIRECT_COLOR[a.shape[2]]
        else:
            with _open(fh) as pil:
                _check_pil(pil, path, 1)
                a = decode_direct(pil)
                if a is None:
                    pil.load()
                    a, ct = _frame_to_array(pil, path)
                else:
                    ct = _DIRECT_COLOR[a.shape[2]]
        a, ct = _apply_flags(a, ct, flags, ColorType(colortype), path)
    return Image.from_canonical(a, "xyc", ct)


def read_raster_multi(filename, flags=ImReadMode.ANYCOLOR, colortype=ColorType.RGB):
    """Read every page of a multi-page file (TIFF) into an ``"xyzc"`` volume.

    Parameters
    ----------
    filename : str or os.PathLike
        File to read.
    flags : ImReadMode, optional
        As in :func:`read_raster`.
    colortype : ColorType, optional
        As in :func:`read_raster`.

    Returns
    -------
    Image
        A volume with one z plane per page; all pages must have the same size and type.
    """
    path = check_readable(filename)
    pages = []
    with reading(path, "reading multi-page image"):
        with _open(path) as pil:
            _check_pil(pil, path, getattr(pil, "n_frames", 1))
            for i in range(getattr(pil, "n_frames", 1)):
                pil.seek(i)
                pil.load()
                a, ct = _apply_flags(*_frame_to_array(pil, path), flags, ColorType(colortype), path)
                if pages and (a.shape != pages[0][0].shape or a.dtype != pages[0][0].dtype):
                    raise ImageIOError(path, f"page {i} is {a.shape} {a.dtype}, page 0 is "
                                             f"{pages[0][0].shape} {pages[0][0].dtype}")
                pages.append((a, ct))
    return Image.from_canonical(np.stack([p[0] for p in pages]), "xyzc", pages[0][1])


def _to_writable(img, filename):
    """Image -> list of (H, W, C) arrays in RGB order (one per z plane) and the ColorType."""
    img._need_data("ImWrite")
    ch = img.channels_
    if not set(ch) <= set("xyzc") or "x" not in ch or "y" not in ch:
        raise ImageIOError(filename, f"cannot write channels {ch!r} as a raster image; "
                                     "expected x, y and optionally c and z")
    # to_numpy adds a size-1 channel axis when the image has none.
    a = img.to_numpy("zyxc" if "z" in ch else "yxc")
    ct = img.colortype_
    if ct is ColorType.BGR:
        a, ct = a[..., ::-1], ColorType.RGB
    elif ct in (ColorType.HSV, ColorType.YCbCr):
        raise ImageIOError(filename, f"cannot write a {ct.name} image; convert it to RGB first "
                                     "(ChangeColorSpace)")
    planes = list(a) if a.ndim == 4 else [a]
    return planes, a.shape[-1]


_WRITABLE = {
    "PNG": {np.uint8: (1, 2, 3, 4), np.uint16: (1, 2, 3, 4)},
    "JPEG": {np.uint8: (1, 3)},
    "BMP": {np.uint8: (1, 3, 4)},
    "TIFF": {np.uint8: (1, 3, 4), np.uint16: (1,), np.int32: (1,), np.float32: (1,)},
    "PPM": {np.uint8: (1, 3), np.uint16: (1,)},
}


def _pil_from(plane, fmt, ext):
    c = plane.shape[2]
    if c == 1:
        im = PILImage.fromarray(np.ascontiguousarray(plane[..., 0]))
        return im.convert("1") if ext == ".pbm" else im
    if c == 2:  # gray + alpha, written as RGBA which every reader understands
        return PILImage.fromarray(np.ascontiguousarray(plane[..., [0, 0, 0, 1]]))
    return PILImage.fromarray(np.ascontiguousarray(plane))


def write_raster(filename, img, quality=95):
    """Write `img` as PNG, JPEG, BMP, TIFF or PNM, chosen by the extension, atomically.

    Supported: PNG uint8/uint16 with 1-4 channels; JPEG uint8 gray/RGB; BMP uint8
    gray/RGB/RGBA; TIFF uint8 gray/RGB/RGBA and uint16/int32/float32 gray (a volume
    with a z axis is written as one page per plane); PGM uint8/uint16, PPM uint8.
    BGR images are written in RGB order, as files expect.

    Parameters
    ----------
    filename : str or os.PathLike
        Destination; its extension picks the format.
    img : Image
        Image with x, y and optionally c (and z for TIFF) axes.
    quality : int, optional
        JPEG quality (default 95).
    """
    path = os.fspath(filename)
    ext = lower_ext(path)
    fmt = RASTER_EXTENSIONS.get(ext)
    if fmt is None:
        raise ImageIOError(path, f"unknown raster extension {ext!r}")
    planes, c = _to_writable(img, path)
    allowed = _WRITABLE[fmt].get(planes[0].dtype.type, ())
    if c not in allowed:
        kinds = ", ".join(f"{np.dtype(t).name} with {'/'.join(map(str, cs))} channels"
                          for t, cs in _WRITABLE[fmt].items())
        raise ImageIOError(path, f"{fmt} cannot store {planes[0].dtype} data with {c} channels "
                                 f"(supported: {kinds}); convert the image first")
    if len(planes) > 1 and fmt != "TIFF":
        raise ImageIOError(path, f"{fmt} stores one plane; write volumes as TIFF")
    with atomic_path(path) as tmp:
        if fmt == "PNG" and planes[0].dtype == np.uint16 and c > 1:
            with open(tmp, "wb") as fh:
                fh.write(_png.encode(planes[0]))
            return
        pils = [_pil_from(p, fmt, ext) for p in planes]
        kwargs = {"quality": int(quality)} if fmt == "JPEG" else {}
        if len(pils) > 1:
            kwargs.update(save_all=True, append_images=pils[1:])
        pils[0].save(tmp, format=fmt, **kwargs)
