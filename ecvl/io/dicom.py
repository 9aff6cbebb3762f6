"""DICOM through pydicom: single files, multi-frame volumes and series folders.

Gray images are ``"xyc"`` (one channel) with ColorType.GRAY, colour ones ``"xyc"``
RGB; multi-frame files become ``"xyzc"`` volumes. The modality rescale
(RescaleSlope/RescaleIntercept) is applied and MONOCHROME1 images are inverted
so that higher values are always brighter.
"""

import os

import numpy as np

from _deephealth.registry import alias
from ..core.enums import ColorType
from ..core.errors import ImageIOError
from ..core.image import Image
from ..core.metadata import MetaData
from ._common import check_readable, reading

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


def _pixels(ds, path, rescale):
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise ImageIOError(path, "DICOM file has no pixel data")
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
                                 + " ".join(msg.split())) from None
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
    if arr.shape[-1] != spp or arr.ndim != 4:
        raise ImageIOError(path, f"pixel array of shape {arr.shape} does not match {frames} frame(s) "
                                 f"of {spp} sample(s)")
    if spp == 1 and rescale and arr.dtype.kind in "iu":
        slope = float(getattr(ds, "RescaleSlope", 1) or 1)
        intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
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
        try:
            ds = pydicom.dcmread(path)
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
