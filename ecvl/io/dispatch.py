"""``ImRead``/``ImWrite``: pick the reader by content and the writer by extension."""

import gzip
import os
import struct
import zlib

from ..core.enums import ColorType, ImReadMode
from ..core.errors import ImageIOError
from ._common import check_readable, lower_ext, reading
from .dicom import dicom_read
from .dicom_writer import dicom_write
from .nifti import nifti_read, nifti_write
from .raster import RASTER_EXTENSIONS, read_raster, read_raster_file, read_raster_multi, write_raster

__all__ = ["sniff_format", "imread", "imwrite", "ImRead", "ImWrite", "ImReadMulti", "imread_multi"]

_RASTER_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*", b"II+\x00",
                 b"MM\x00+", b"GIF87a", b"GIF89a")


def _is_nifti_header(head):
    if len(head) >= 348 and head[344:348] in (b"n+1\x00", b"ni1\x00"):
        return struct.unpack("<i", head[:4])[0] == 348 or struct.unpack(">i", head[:4])[0] == 348
    return len(head) >= 8 and head[4:8] in (b"n+2\x00", b"ni2\x00")


def sniff_format(filename):
    """Return ``"raster"``, ``"dicom"`` or ``"nifti"`` from a file's first bytes (None if unknown).

    Parameters
    ----------
    filename : str or os.PathLike
        The file.

    Returns
    -------
    str or None
        The family of readers to use.
    """
    path = check_readable(filename)
    with open(path, "rb") as fh:
        return _sniff(fh.read(544), path)


def _sniff(head, path):
    # DICOM first: its 128-byte preamble is free-form, and dual-personality files start it
    # with a TIFF header (so TIFF viewers open them too)
    if head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(_RASTER_MAGIC) or (len(head) > 2 and head[:1] == b"P" and head[1:2] in b"1234567"
                                          and head[2:3].isspace()):
        return "raster"
    if _is_nifti_header(head):
        return "nifti"
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                if _is_nifti_header(fh.read(544)):
                    return "nifti"
        except (OSError, EOFError, zlib.error):
            pass  # a damaged gzip stream: the NIfTI reader reports it if the extension says NIfTI
    ext = lower_ext(path)
    if ext in (".dcm", ".dicom"):
        return "dicom"  # DICOM without the 128-byte preamble
    if ext in (".nii", ".nii.gz"):
        return "nifti"
    return None


def imread(filename, flags=ImReadMode.ANYCOLOR, colortype=ColorType.RGB):
    """Read an image of any supported format: PNG, JPEG, BMP, TIFF, PNM, DICOM or NIfTI.

    The format is found from the file's content (the extension only settles
    DICOM files without a preamble).

    Parameters
    ----------
    filename : str or os.PathLike
        The file.
    flags : ImReadMode, optional
        Colour handling for raster formats (default ``ANYCOLOR``: gray stays gray,
        colour becomes 3 channels). The bit depth is always kept.
    colortype : ColorType, optional
        ``RGB`` (default) or ``BGR`` channel order for 3-channel raster images.

    Returns
    -------
    Image
        See :func:`read_raster`, :func:`dicom_read` and :func:`nifti_read`.

    Raises
    ------
    ImageIOError
        Missing, corrupt, truncated or unsupported file; the message names it.

    Examples
    --------
    >>> import ecvl, numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> ecvl.imwrite(path, ecvl.Image([5, 4, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB))
    >>> ecvl.imread(path)
    Image(dims=[5, 4, 3], channels='xyc', elemtype=uint8, colortype=RGB)
    """
    path = check_readable(filename)
    with reading(path, "reading image"), open(path, "rb") as fh:
        kind = _sniff(fh.read(544), path)
        if kind == "raster":  # the file already open serves the decoder too
            fh.seek(0)
            return read_raster_file(fh, path, flags, colortype)
    if kind == "dicom":
        return dicom_read(filename)
    if kind == "nifti":
        return nifti_read(filename)
    if lower_ext(filename) in RASTER_EXTENSIONS:
        return read_raster(filename, flags, colortype)
    try:
        return read_raster(filename, flags, colortype)  # any other format Pillow knows
    except ImageIOError:
        raise ImageIOError(filename, "unsupported or unrecognised file format (not PNG, JPEG, BMP, TIFF, "
                                     "PNM, DICOM or NIfTI)") from None


def ImRead(filename, flags=ImReadMode.ANYCOLOR):
    """Read an image (PyECVL form): colour raster images come back BGR, as in PyECVL.

    Parameters
    ----------
    filename : str or os.PathLike
        The file.
    flags : ImReadMode, optional
        See :func:`imread`.

    Returns
    -------
    Image
        The image; use :func:`imread` for RGB order.
    """
    return imread(filename, flags, ColorType.BGR)


def imread_multi(filename, flags=ImReadMode.ANYCOLOR, colortype=ColorType.RGB):
    """Read all pages of a multi-page TIFF into an ``"xyzc"`` volume (see :func:`read_raster_multi`).

    Parameters
    ----------
    filename : str or os.PathLike
        The file.
    flags : ImReadMode, optional
        Colour handling.
    colortype : ColorType, optional
        RGB or BGR order.

    Returns
    -------
    Image
        The volume.
    """
    return read_raster_multi(filename, flags, colortype)


def ImReadMulti(filename, flags=ImReadMode.ANYCOLOR):
    """Read a multi-page image into a volume (ECVL's C++ ``ImReadMulti``), BGR colour order.

    Parameters
    ----------
    filename : str or os.PathLike
        The file.
    flags : ImReadMode, optional
        Colour handling.

    Returns
    -------
    Image
        The volume.
    """
    return read_raster_multi(filename, flags, ColorType.BGR)


def imwrite(filename, img, **kwargs):
    """Write an image, choosing the format from the extension; the write is atomic.

    ``.png .jpg .jpeg .bmp .tif .tiff .pgm .ppm .pbm .pnm`` go through
    :func:`write_raster`, ``.dcm`` through :func:`dicom_write` and ``.nii``/``.nii.gz``
    through :func:`nifti_write`. A failed write leaves no partial file behind.

    Parameters
    ----------
    filename : str or os.PathLike
        Destination.
    img : Image
        The image.
    **kwargs
        Passed to the writer (e.g. ``quality`` for JPEG).
    """
    ext = lower_ext(filename)
    if ext in RASTER_EXTENSIONS:
        write_raster(filename, img, **kwargs)
    elif ext in (".dcm", ".dicom"):
        dicom_write(filename, img)
    elif ext in (".nii", ".nii.gz"):
        nifti_write(filename, img)
    else:
        raise ImageIOError(os.fspath(filename), f"unknown extension {ext!r}: use one of "
                           f"{sorted(RASTER_EXTENSIONS) + ['.dcm', '.nii', '.nii.gz']}")


def ImWrite(filename, src):
    """Write an image (PyECVL form of :func:`imwrite`).

    Parameters
    ----------
    filename : str or os.PathLike
        Destination.
    src : Image
        The image.
    """
    imwrite(filename, src)
