"""DICOM through pydicom: single files, multi-frame volumes and series folders.

Gray images are ``"xyc"`` (one channel) with ColorType.GRAY, colour ones ``"xyc"``
RGB; multi-frame files become ``"xyzc"`` volumes. The modality rescale
(RescaleSlope/RescaleIntercept) is applied and MONOCHROME1 images are inverted
so that higher values are always brighter.
"""

import io
import math
import os
import zlib

import numpy as np

from _deephealth.registry import alias

from ..core.enums import ColorType
from ..core.errors import ImageIOError, short
from ..core.image import Image
from ..core.metadata import MetaData
from ._common import check_readable, reading
from .limits import check_size, get_limits

__all__ = ["dicom_read", "dicom_read_series", "DicomRead"]

_SKIP_VR = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ", "UN"}
# Decoder packages by transfer syntax family, for the error when none is installed.
_DECODERS = {
    "JPEG 2000": "pylibjpeg-openjpeg (pip install pylibjpeg pylibjpeg-openjpeg) or python-gdcm",
    "JPEG-LS": "pylibjpeg-libjpeg (pip install pylibjpeg pylibjpeg-libjpeg) or python-gdcm",
    "JPEG": "pylibjpeg-libjpeg (pip install pylibjpeg pylibjpeg-libjpeg), pillow or python-gdcm",
    "RLE": "pylibjpeg-rle or numpy (built in)",
}


def _pydicom():
    import pydicom

    return pydicom


def _decoder_hint(ts):
    name = getattr(ts, "name", str(ts))
    for key in ("JPEG 2000", "JPEG-LS", "JPEG", "RLE"):
        if key.replace("-", "").replace(" ", "").lower() in name.replace("-", "").replace(" ", "").lower():
            return _DECODERS[key]
    return "a pydicom pixel data plugin (pylibjpeg or python-gdcm)"


def _meta(ds):
    meta = {}
    for elem in ds:
        kw = elem.keyword
        if not kw or elem.VR in _SKIP_VR or elem.tag.group == 0x7FE0:
            continue
        v = elem.value
        try:
            if v is None or v == "":
                continue
            if elem.VM > 1:
                v = [float(x) if isinstance(x, float) else int(x) if isinstance(x, int) else str(x) for x in v]
            elif isinstance(v, float):
                v = float(v)
            elif isinstance(v, int):
                v = int(v)
            else:
                v = str(v)
            meta[kw] = MetaData(v)
        except (TypeError, ValueError):
            continue
    return meta


def _rescale_dtype(lo, hi, slope, intercept):
    if float(slope).is_integer() and float(intercept).is_integer():
        for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64):
            info = np.iinfo(t)
            if info.min <= lo and hi <= info.max:
                return np.dtype(t)
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _int_tag(ds, keyword, default, path):
    v = getattr(ds, keyword, None)
    if v is None or v == "":
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ImageIOError(path, f"DICOM tag {keyword} is not an integer ({short(repr(v))})") from None


def _check_declared(ds, path):
    """Rows, Columns, NumberOfFrames... against the limits and, uncompressed, the pixel data length.

    Returns the number of frames the header announces.
    """
    rows, cols = _int_tag(ds, "Rows", 0, path), _int_tag(ds, "Columns", 0, path)
    frames = _int_tag(ds, "NumberOfFrames", 1, path) or 1
    spp = _int_tag(ds, "SamplesPerPixel", 1, path)
    bits = _int_tag(ds, "BitsAllocated", 8, path)
    for kw, v in (("Rows", rows), ("Columns", cols), ("NumberOfFrames", frames),
                  ("SamplesPerPixel", spp), ("BitsAllocated", bits)):
        if v < 1:
            raise ImageIOError(path, f"DICOM tag {kw} is {v}; it must be positive")
    check_size(path, rows * cols, rows * cols * frames * spp * max(8, bits) // 8,
               f"DICOM header ({cols}x{rows}, {frames} frame(s))")
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if "PixelData" in ds and ts is not None and not ts.is_compressed:
        photometric = str(getattr(ds, "PhotometricInterpretation", "")).strip()
        if spp == 3 and photometric in ("YBR_FULL_422", "YBR_PARTIAL_422"):
            spp = 2  # chroma stored for every other pixel: 2 samples per pixel on average
        expected = (rows * cols * frames * spp * bits + 7) // 8
        got = len(ds.PixelData)
        if got < expected or got > expected + (expected & 1) + 1:
            raise ImageIOError(path, f"DICOM PixelData holds {got} bytes, but Rows {rows} x Columns "
                                     f"{cols} x NumberOfFrames {frames} x SamplesPerPixel {spp} x "
                                     f"BitsAllocated {bits} need {expected}: inconsistent header")
    return frames


def _rescale_params(ds, path):
    out = []
    for kw, default in (("RescaleSlope", 1.0), ("RescaleIntercept", 0.0)):
        v = getattr(ds, kw, None)
        try:
            v = default if v is None or v == "" else float(v)
        except (TypeError, ValueError):
            raise ImageIOError(path, f"DICOM tag {kw} is not a number ({short(repr(v))})") from None
        if not math.isfinite(v):
            raise ImageIOError(path, f"DICOM tag {kw} is {v}; pass rescale=False to read the "
                                     "stored values")
        out.append(v)
    if out[0] == 0:
        out[0] = 1.0  # an empty slope written as 0 by some writers: read as 1, as before
    return out


def _pixels(ds, path, rescale):
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise ImageIOError(path, "DICOM file has no pixel data")
    declared_frames = _check_declared(ds, path)
    try:
        arr = ds.pixel_array
    except (NotImplementedError, RuntimeError) as e:
        msg = str(e)
        ts = ds.file_meta.get("TransferSyntaxUID", "unknown") if hasattr(ds, "file_meta") else "unknown"
        if "missing" in msg.lower() and "dependenc" in msg.lower():
            needs = "; ".join(line.strip() for line in msg.splitlines()[1:] if line.strip())
            raise ImageIOError(path, f"cannot decode transfer syntax {getattr(ts, 'name', ts)}: no decoder "
                                     f"is installed; install {_decoder_hint(ts)} ({needs})") from None
        raise ImageIOError(path, f"decoding {getattr(ts, 'name', ts)} pixel data failed: "
                                 + short(" ".join(msg.split()))) from e
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2")).strip()
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        arr = apply_color_lut(arr, ds)
        ds.SamplesPerPixel = 3
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    if spp == 1:
        arr = arr[..., None]
    if frames == 1:
        arr = arr[None]
    if arr.shape[-1] != spp or arr.ndim != 4 or arr.shape[0] != declared_frames:
        raise ImageIOError(path, f"pixel array of shape {arr.shape} does not match NumberOfFrames "
                                 f"{declared_frames} of {spp} sample(s)")
    if spp == 1 and rescale and arr.dtype.kind in "iu":
        slope, intercept = _rescale_params(ds, path)
        bits = int(getattr(ds, "BitsStored", arr.dtype.itemsize * 8))
        signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
        smin, smax = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
        ends = sorted((smin * slope + intercept, smax * slope + intercept))
        out_t = _rescale_dtype(ends[0], ends[1], slope, intercept)
        if photometric == "MONOCHROME1":
            arr = (smax + smin) - arr.astype(np.int64)
        if slope != 1 or intercept != 0 or out_t != arr.dtype:
            arr = (arr.astype(np.float64) * slope + intercept).astype(out_t)
    elif photometric == "MONOCHROME1" and spp == 1:
        if arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            bits = int(getattr(ds, "BitsStored", arr.dtype.itemsize * 8))
            lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if info.min < 0 else (0, 2 ** bits - 1)
            arr = ((hi + lo) - arr.astype(np.int64)).astype(arr.dtype)
        else:
            arr = arr.max() + arr.min() - arr
    if arr.dtype == np.uint32:
        arr = arr.astype(np.int64) if arr.size and arr.max() > np.iinfo(np.int32).max else arr.astype(np.int32)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    colortype = ColorType.GRAY if spp == 1 else (ColorType.RGBA if spp == 4 else ColorType.RGB)
    return np.ascontiguousarray(arr), colortype


def _spacings(ds, nz):
    ps = getattr(ds, "PixelSpacing", None) or getattr(ds, "ImagerPixelSpacing", None)
    sy, sx = (float(ps[0]), float(ps[1])) if ps is not None and len(ps) >= 2 else (1.0, 1.0)
    sz = getattr(ds, "SpacingBetweenSlices", None) or getattr(ds, "SliceThickness", None) or 1.0
    return sx, sy, float(sz)


_DEFLATED = b"1.2.840.10008.1.2.1.99"


class _CappedFile(io.BufferedReader):
    """A file whose ``read(n)`` never asks for more than what is left in it.

    pydicom reads each element with ``read(length)``, and Python allocates the whole
    ``length`` before reading: a corrupt length field would allocate gigabytes.
    """

    def __init__(self, path):
        super().__init__(io.FileIO(path, "rb"))
        self._size = os.fstat(self.fileno()).st_size

    def read(self, n=-1):
        if n is not None and n > 0:
            n = min(n, max(0, self._size - self.tell()))
        return super().read(n)


def _check_deflated(path):
    """Inflate a deflated-syntax dataset chunk by chunk, keeping nothing, to bound its size.

    pydicom inflates the whole dataset in memory before reading any of it; this pass costs
    time only for the (rare) deflated files and never holds more than one chunk.
    """
    with open(path, "rb") as fh:
        head = fh.read(144)
        if len(head) < 144 or head[128:132] != b"DICM" or head[132:136] != b"\x02\x00\x00\x00":
            return
        meta_end = 144 + int.from_bytes(head[140:144], "little")
        fh.seek(132)
        meta = fh.read(min(meta_end - 132, 1 << 16))  # the file meta group is small; its length may lie
        if _DEFLATED not in meta:
            return
        fh.seek(meta_end)
        limit = get_limits()["max_bytes"]
        d, total = zlib.decompressobj(-zlib.MAX_WBITS), 0
        while not d.eof:
            chunk = d.unconsumed_tail or fh.read(1 << 20)
            if not chunk:
                break
            try:
                total += len(d.decompress(chunk, 1 << 24))
            except zlib.error:
                return  # pydicom reports the corrupt stream
            if total > limit:
                raise ImageIOError(path, f"deflated DICOM dataset inflates to more than {limit} "
                                         "bytes, over the limit (raise it with ecvl.io.limits."
                                         "set_limits(max_bytes=...) for trusted files)")


def dicom_read(filename, rescale=True):
    """Read a DICOM file.

    Parameters
    ----------
    filename : str or os.PathLike
        The file.
    rescale : bool, optional
        Apply RescaleSlope/RescaleIntercept (default). The result is an integer type
        when slope and intercept are integers and the rescaled range fits, else float32.

    Returns
    -------
    Image
        ``"xyc"`` for one frame, ``"xyzc"`` for multi-frame files; GRAY, RGB or RGBA.
        Spacings come from PixelSpacing (x, y) and SpacingBetweenSlices or
        SliceThickness (z); the data elements with keywords are in ``meta_``.

    Raises
    ------
    ImageIOError
        Missing, corrupt or truncated file, no pixel data, or a compressed transfer
        syntax whose decoder is not installed (the message names the package).

    Examples
    --------
    >>> import ecvl
    >>> from pydicom.data import get_testdata_file
    >>> img = ecvl.dicom_read(get_testdata_file("CT_small.dcm"))
    >>> img.dims_, img.channels_, img.elemtype_.name
    ([128, 128, 1], 'xyc', 'int32')
    """
    path = check_readable(filename)
    pydicom = _pydicom()
    with reading(path, "reading DICOM"):
        _check_deflated(path)
        try:
            with _CappedFile(path) as fh:
                ds = pydicom.dcmread(fh)
        except pydicom.errors.InvalidDicomError as e:
            raise ImageIOError(path, f"not a DICOM file ({e})") from None
        arr, colortype = _pixels(ds, path, rescale)
        sx, sy, sz = _spacings(ds, arr.shape[0])
        meta = _meta(ds)
    if arr.shape[0] == 1:
        return Image.from_canonical(arr[0], "xyc", colortype, [sx, sy, 1.0], meta)
    return Image.from_canonical(arr, "xyzc", colortype, [sx, sy, sz, 1.0], meta)


DicomRead = alias(dicom_read, "DicomRead")


def dicom_read_series(folder, pattern=None):
    """Read a folder of single-frame DICOM slices into one ``"xyzc"`` volume.

    Slices are sorted by their position along the slice normal (from
    ImagePositionPatient and ImageOrientationPatient), falling back to InstanceNumber;
    the z spacing is the median distance between neighbouring positions.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder holding the slices; files that are not DICOM are skipped.
    pattern : str, optional
        Only read file names matching this :mod:`fnmatch` pattern.

    Returns
    -------
    Image
        The volume; metadata is that of the first slice.

    Raises
    ------
    ImageIOError
        No DICOM slices, or slices of different sizes or types.
    """
    import fnmatch

    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ImageIOError(folder, "is not a folder")
    pydicom = _pydicom()
    slices = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or (pattern and not fnmatch.fnmatch(name, pattern)):
            continue
        try:
            pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # not DICOM: skipped, as series folders often hold other files
            continue
        img = dicom_read(path)
        if img.channels_ != "xyc":
            raise ImageIOError(path, "multi-frame file inside a series folder")
        slices.append(img)
    if not slices:
        raise ImageIOError(folder, "no DICOM slices found")
    first = slices[0]
    for s, img in enumerate(slices[1:], 1):
        if img.dims_ != first.dims_ or img.elemtype_ != first.elemtype_:
            raise ImageIOError(folder, f"slice {s} is {img.dims_} {img.elemtype_.name}, slice 0 is "
                                       f"{first.dims_} {first.elemtype_.name}")
    check_size(folder, first.dims_[0] * first.dims_[1],
               sum(np.asarray(img).nbytes for img in slices), f"series of {len(slices)} slices")
    keys = [_slice_key(img, i) for i, img in enumerate(slices)]
    order = sorted(range(len(slices)), key=lambda i: keys[i])
    vol = np.stack([slices[i].canonical() for i in order])
    pos = np.array([keys[i][0] for i in order], dtype=np.float64)
    sz = float(np.median(np.diff(pos))) if len(pos) > 1 and np.all(np.isfinite(pos)) else 1.0
    sx, sy = first.spacings_[0], first.spacings_[1]
    meta = dict(slices[order[0]].meta_)
    return Image.from_canonical(vol, "xyzc", first.colortype_, [sx, sy, abs(sz) or 1.0, 1.0], meta)


def _slice_key(img, i):
    pos = img.get_meta("ImagePositionPatient")
    ori = img.get_meta("ImageOrientationPatient")
    if pos is not None and len(pos) == 3:
        p = np.asarray(pos, dtype=np.float64)
        if ori is not None and len(ori) == 6:
            o = np.asarray(ori, dtype=np.float64)
            return (float(np.dot(np.cross(o[:3], o[3:]), p)), i)
        return (float(p[2]), i)
    inst = img.get_meta("InstanceNumber")
    return (float(inst) if inst is not None else float(i), i)
