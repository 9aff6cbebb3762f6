"""NIfTI-1/2 (.nii, .nii.gz) through nibabel.

Volumes are ``"xyz"`` (3-D), ``"xyzt"`` (4-D) or ``"xy"``; further axes are ``o``
and RGB data adds a ``c`` axis. Spacings are the voxel sizes (zooms); the affine,
its codes and the units are kept in ``meta_`` and written back by :func:`nifti_write`.
"""

import math
import os
import struct

import numpy as np

from _deephealth.registry import alias

from ..core.enums import ColorType
from ..core.errors import ImageIOError
from ..core.image import Image
from ..core.metadata import MetaData
from ._common import atomic_path, check_readable, lower_ext, reading
from .limits import MAX_DEFLATE_RATIO, check_size

__all__ = ["nifti_read", "nifti_write", "NiftiRead", "NiftiWrite"]

_AXES = "xyzt"


def nifti_read(filename):
    """Read a NIfTI file, applying its scaling (scl_slope/scl_inter).

    Parameters
    ----------
    filename : str or os.PathLike
        ``.nii`` or ``.nii.gz`` file.

    Returns
    -------
    Image
        The volume with ``spacings_`` from the header's zooms and ``meta_`` holding
        ``affine`` (4x4 array), ``qform_code``, ``sform_code``, ``xyzt_units`` and
        ``descrip``. Data is integer when the file is unscaled, else float.

    Raises
    ------
    ImageIOError
        Missing, truncated or corrupt file.

    Examples
    --------
    >>> import ecvl, os
    >>> from nibabel.testing import data_path
    >>> img = ecvl.nifti_read(os.path.join(data_path, "example4d.nii.gz"))
    >>> img.channels_, img.dims_
    ('xyzt', [128, 96, 24, 2])
    """
    import nibabel as nib

    path = check_readable(filename)
    with reading(path, "reading NIfTI"):
        _check_extensions(path)
        nimg = nib.load(path)
        if not isinstance(nimg, (nib.Nifti1Image, nib.Nifti2Image)):
            raise ImageIOError(path, f"not a NIfTI file (nibabel opened it as {type(nimg).__name__})")
        hdr = nimg.header
        _check_declared(nimg, path)
        data = np.asanyarray(nimg.dataobj)
        if data.dtype.fields is not None:  # RGB24 / RGBA32 voxels
            names = list(data.dtype.names)
            data = np.stack([data[n] for n in names], axis=-1)
            colortype = ColorType.RGB if len(names) == 3 else ColorType.RGBA
        else:
            colortype = ColorType.none
        data = np.asarray(data)
        if data.dtype == np.bool_:
            data = data.astype(np.uint8)
        elif data.dtype.kind == "u" and data.dtype.itemsize >= 4:
            data = data.astype(np.int64)
        nspatial = data.ndim - (1 if colortype is not ColorType.none else 0)
        channels = (_AXES + "o" * max(0, nspatial - 4))[:nspatial]
        if nspatial > 6:
            raise ImageIOError(path, f"{nspatial}-D NIfTI data is not supported (at most 6 axes)")
        zooms = [float(z) for z in hdr.get_zooms()[:nspatial]]
        zooms += [1.0] * (nspatial - len(zooms))
        if colortype is not ColorType.none:
            channels += "c"
            zooms.append(1.0)
        units = hdr.get_xyzt_units()
        meta = {
            "affine": MetaData(np.asarray(nimg.affine, dtype=np.float64)),
            "qform_code": MetaData(int(hdr["qform_code"])),
            "sform_code": MetaData(int(hdr["sform_code"])),
            "xyzt_units": MetaData(f"{units[0]},{units[1]}"),
            "descrip": MetaData(hdr["descrip"].item().decode("latin-1").rstrip("\0")),
        }
        return Image.fromarray(data, channels, colortype, zooms, meta, copy=True)


def _check_declared(nimg, path):
    """Shape and type the header announces, against the limits and the file's size."""
    shape = tuple(int(d) for d in nimg.shape)
    dtype = nimg.header.get_data_dtype()
    if dtype.kind == "c":
        raise ImageIOError(path, f"complex NIfTI data ({dtype}) is not supported")
    if any(d <= 0 for d in shape) or not shape:
        raise ImageIOError(path, f"NIfTI header announces the shape {shape}; every dimension "
                                 "must be positive")
    nbytes = math.prod(shape) * dtype.itemsize
    check_size(path, shape[0] * (shape[1] if len(shape) > 1 else 1), nbytes,
               f"NIfTI header (shape {shape}, {dtype})")
    size = os.path.getsize(path)
    if lower_ext(path) == ".nii.gz" or _gzipped(path):
        if nbytes > MAX_DEFLATE_RATIO * size + 2 ** 16:
            raise ImageIOError(path, f"NIfTI header announces {nbytes} bytes of data, more than "
                                     f"the {size}-byte compressed file can hold")
    else:
        offset = int(nimg.header.get_data_offset())
        if offset + nbytes > size:
            raise ImageIOError(path, f"truncated NIfTI file: the header announces {nbytes} bytes "
                                     f"of data from offset {offset}, the file has {size} bytes")


def _check_extensions(path):
    """Walk the header extensions as nibabel will, refusing sizes the file cannot hold.

    nibabel reads each extension with ``read(size)``, and Python allocates ``size`` bytes
    before reading: a corrupt size field would allocate up to 2 GiB. Skipping forward keeps
    nothing in memory, and compressed files cannot hold more than the deflate ratio allows.
    """
    import gzip

    size = os.path.getsize(path)
    gz = _gzipped(path)
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
        head = fh.read(544)
        if len(head) < 352:
            return  # nibabel reports the truncated header
        for order in "<>":
            n = struct.unpack(order + "i", head[:4])[0]
            if n in (348, 540):
                break
        else:
            return  # not NIfTI: nibabel says what it is
        if len(head) < n + 4 or head[n:n + 1] == b"\x00":
            return
        vox = (struct.unpack(order + "f", head[108:112])[0] if n == 348
               else struct.unpack(order + "q", head[168:176])[0])
        room = MAX_DEFLATE_RATIO * size if gz else size
        if not vox <= room:  # also NaN
            raise ImageIOError(path, f"NIfTI vox_offset {vox} lies beyond the end of the file")
        left = int(vox) - (n + 4)
        fh.seek(n + 4)
        while left >= 16:
            ext = fh.read(8)
            if len(ext) < 8:
                return  # nibabel reports the truncated extension
            esize = struct.unpack(order + "i", ext[:4])[0]
            if esize < 8 or esize > left:
                raise ImageIOError(path, f"corrupt NIfTI header extension: size {esize} with "
                                         f"{left} bytes left before the data")
            fh.seek(esize - 8, os.SEEK_CUR)
            left -= esize


def _gzipped(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


NiftiRead = alias(nifti_read, "NiftiRead")


def _affine(img, order):
    """Return the stored affine with its columns rescaled to the current spacings."""
    sp = img.spacings_
    spatial = [sp[img.channels_.index(a)] if sp else 1.0 for a in order if a in "xyz"]
    spatial += [1.0] * (3 - len(spatial))
    stored = img.get_meta("affine")
    if stored is not None and np.shape(stored) == (4, 4):
        aff = np.array(stored, dtype=np.float64)
        norms = np.linalg.norm(aff[:3, :3], axis=0)
        norms[norms == 0] = 1.0
        aff[:3, :3] = aff[:3, :3] / norms * np.array(spatial)
        return aff
    return np.diag(spatial + [1.0])


def nifti_write(filename, img):
    """Write `img` as NIfTI-1 (``.nii`` or ``.nii.gz``), atomically.

    Axes are written in x, y, z, t order (then ``o``, then ``c`` for RGB uint8
    data). The affine from ``meta_`` is written back with its voxel sizes updated to
    the image's spacings; without one, a diagonal affine of the spacings is used.

    Parameters
    ----------
    filename : str or os.PathLike
        Destination ending in ``.nii`` or ``.nii.gz``.
    img : Image
        The image.

    Examples
    --------
    >>> import ecvl, numpy as np, tempfile, os
    >>> img = ecvl.Image.fromarray(np.zeros((4, 3, 2), np.int16), "xyz", spacings=[1, 1, 2.5])
    >>> path = os.path.join(tempfile.mkdtemp(), "v.nii.gz")
    >>> ecvl.nifti_write(path, img)
    >>> ecvl.nifti_read(path).spacings_
    [1.0, 1.0, 2.5]
    """
    import nibabel as nib

    path = os.fspath(filename)
    ext = lower_ext(path)
    if ext not in (".nii", ".nii.gz"):
        raise ImageIOError(path, "NIfTI files must end in .nii or .nii.gz")
    img._need_data("NiftiWrite")
    ch = img.channels_
    order = [a for a in "xyzt" if a in ch] + [a for a in ch if a == "o"]
    rgb = "c" in ch and img.colortype_ in (ColorType.RGB, ColorType.BGR, ColorType.RGBA)
    if "c" in ch:
        order.append("c")  # last: NIfTI's RGB voxels, or one more data axis
    data = np.asarray(img).transpose([ch.index(a) if a != "o" else _nth_o(ch, order, i)
                                      for i, a in enumerate(order)])
    aff = _affine(img, order)
    if rgb:
        if data.dtype != np.uint8 or data.shape[-1] not in (3, 4):
            raise ImageIOError(path, "RGB NIfTI needs uint8 data with 3 or 4 channels")
        if img.colortype_ is ColorType.BGR:
            data = data[..., ::-1]
        names = "RGBA"[: data.shape[-1]]
        rec = np.empty(data.shape[:-1], dtype=[(n, "u1") for n in names])
        for i, n in enumerate(names):
            rec[n] = data[..., i]
        data = rec
    with reading(path, "writing NIfTI"):
        nimg = nib.Nifti1Image(np.asfortranarray(data), aff)
        sp = img.spacings_
        if sp and data.ndim >= 4 and "t" in ch:
            zooms = list(nimg.header.get_zooms())
            zooms[3] = sp[ch.index("t")]
            nimg.header.set_zooms(zooms)
        units = img.get_meta("xyzt_units")
        if isinstance(units, str) and "," in units:
            space, time = units.split(",", 1)
            try:
                nimg.header.set_xyzt_units(None if space == "unknown" else space,
                                           None if time == "unknown" else time)
            except Exception:
                pass  # units are informative only
        codes = (img.get_meta("qform_code"), img.get_meta("sform_code"))
        if codes[0] is not None:
            nimg.header.set_qform(aff, code=int(codes[0]) or 1)
            nimg.header.set_sform(aff, code=int(codes[1] or 0) or 1)
        with atomic_path(path, suffix=ext) as tmp:
            nib.save(nimg, tmp)


def _nth_o(ch, order, i):
    k = order[:i].count("o")
    return [j for j, a in enumerate(ch) if a == "o"][k]


def NiftiWrite(filename, src):
    """Write `src` as NIfTI (PyECVL name of :func:`nifti_write`).

    Parameters
    ----------
    filename : str or os.PathLike
        Destination.
    src : Image
        Image to write.
    """
    nifti_write(filename, src)
