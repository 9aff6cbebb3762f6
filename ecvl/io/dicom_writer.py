"""Writing DICOM files and CT/MR display windows."""

import datetime
import os

import numpy as np

from ..core.convert import saturate_cast
from ..core.enums import ColorType, DataType
from ..core.errors import EcvlValueError, ImageIOError
from ._common import atomic_path

__all__ = ["dicom_write", "DicomWrite", "apply_window", "window_from_meta"]

_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
_KEEP = ("PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "StudyDate",
         "SeriesDescription", "StudyDescription", "ImagePositionPatient", "ImageOrientationPatient",
         "WindowCenter", "WindowWidth", "InstanceNumber", "BodyPartExamined")


def dicom_write(filename, img):
    """Write `img` as an uncompressed DICOM file (Secondary Capture), atomically.

    Gray images (one channel) are written as MONOCHROME2 with 8 or 16 bits (uint8,
    uint16 or int16 data); uint8 RGB/BGR images as RGB. A z axis becomes frames.
    Spacings go to PixelSpacing and SpacingBetweenSlices; common identifying and
    geometry elements found in ``meta_`` are written back.

    Parameters
    ----------
    filename : str or os.PathLike
        Destination.
    img : Image
        Image with x, y and optional z and c axes.

    Raises
    ------
    ImageIOError
        Unsupported type or layout (the message says which conversion to make).

    Examples
    --------
    >>> import ecvl, numpy as np, tempfile, os
    >>> img = ecvl.Image.fromarray(np.arange(12, dtype=np.uint16).reshape(4, 3, 1), "xyc",
    ...                            ecvl.ColorType.GRAY)
    >>> path = os.path.join(tempfile.mkdtemp(), "a.dcm")
    >>> ecvl.dicom_write(path, img)
    >>> np.array_equal(np.asarray(ecvl.dicom_read(path)), np.asarray(img))
    True
    """
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    path = os.fspath(filename)
    img._need_data("DicomWrite")
    ch = img.channels_
    if not set(ch) <= set("xyzc") or "x" not in ch or "y" not in ch:
        raise ImageIOError(path, f"DICOM needs x, y and optional z and c axes, got {ch!r}")
    a = img.to_numpy("zyxc" if "z" in ch else "yxc")
    if a.ndim == 3:
        a = a[None]
    nz, h, w, c = a.shape
    ct = img.colortype_
    if c == 1 and a.dtype in (np.uint8, np.uint16, np.int16):
        photometric = "MONOCHROME2"
    elif c == 3 and a.dtype == np.uint8 and ct in (ColorType.RGB, ColorType.BGR, ColorType.none):
        photometric = "RGB"
        if ct is ColorType.BGR:
            a = a[..., ::-1]
    else:
        raise ImageIOError(path, f"DICOM writing supports 1-channel uint8/uint16/int16 and 3-channel uint8 "
                                 f"RGB images, got {c} channel(s) of {a.dtype} ({ct.name}); convert first")
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = _SECONDARY_CAPTURE
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = _SECONDARY_CAPTURE
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.ContentDate = datetime.date.today().strftime("%Y%m%d")
    for key in _KEEP:
        value = img.get_meta(key)
        if value is not None:
            try:
                setattr(ds, key, value)
            except (TypeError, ValueError, OverflowError):
                pass  # a value that does not fit the element's VR is not worth failing the write
    ds.Rows, ds.Columns = h, w
    ds.SamplesPerPixel = c
    ds.PhotometricInterpretation = photometric
    if c == 3:
        ds.PlanarConfiguration = 0
    bits = a.dtype.itemsize * 8
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if a.dtype.kind == "i" else 0
    if nz > 1:
        ds.NumberOfFrames = nz
    sp = img.spacings_
    if sp:
        ds.PixelSpacing = [sp[ch.index("y")], sp[ch.index("x")]]
        if "z" in ch:
            ds.SpacingBetweenSlices = sp[ch.index("z")]
    ds.PixelData = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
    with atomic_path(path, suffix=".dcm") as tmp:
        ds.save_as(tmp, enforce_file_format=True)


def DicomWrite(filename, src):
    """Write `src` as DICOM (PyECVL name of :func:`dicom_write`).

    Parameters
    ----------
    filename : str or os.PathLike
        Destination.
    src : Image
        Image to write.
    """
    dicom_write(filename, src)


def window_from_meta(img, index=0):
    """Return the (centre, width) window stored in the image's DICOM metadata.

    Parameters
    ----------
    img : Image
        An image read from DICOM.
    index : int, optional
        Which window when several are stored.

    Returns
    -------
    tuple of float or None
        ``(WindowCenter, WindowWidth)``, or None when the file had none.
    """
    c, w = img.get_meta("WindowCenter"), img.get_meta("WindowWidth")
    if c is None or w is None:
        return None
    c = c[index] if isinstance(c, list) else c
    w = w[index] if isinstance(w, list) else w
    return float(c), float(w)


def apply_window(img, center=None, width=None, dtype=DataType.uint8):
    """Map the window ``[center - width/2, center + width/2]`` to the full output range.

    This is DICOM's linear VOI window (PS3.3 C.11.2.1.2): values below the window
    become the minimum, values above the maximum. Without `center`/`width` the
    window stored in the metadata is used.

    Parameters
    ----------
    img : Image
        Gray image (e.g. CT in Hounsfield units).
    center, width : float, optional
        Window centre and width (e.g. 40 and 400 for a CT soft-tissue window).
    dtype : DataType, optional
        uint8 (default, 0..255), uint16 (0..65535) or float32/float64 (0..1).

    Returns
    -------
    Image
        The windowed image.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> ct = ecvl.Image.fromarray(np.array([[-1000, 40, 1000]], np.int16).T, "xy")
    >>> np.asarray(ecvl.apply_window(ct, 40, 400)).ravel().tolist()
    [0, 128, 255]
    """
    if center is None or width is None:
        stored = window_from_meta(img)
        if stored is None:
            raise EcvlValueError("apply_window: no center/width given and none in the image metadata")
        center = stored[0] if center is None else center
        width = stored[1] if width is None else width
    if not width >= 1:
        raise EcvlValueError(f"apply_window: width must be >= 1, got {width}")
    dt = DataType.parse(dtype)
    top = {DataType.uint8: 255.0, DataType.uint16: 65535.0}.get(dt, 1.0)
    if dt not in (DataType.uint8, DataType.uint16, DataType.float32, DataType.float64):
        raise EcvlValueError(f"apply_window: dtype must be uint8, uint16, float32 or float64, got {dt.name}")
    x = img.canonical().astype(np.float64)
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * top
    y = np.clip(y, 0.0, top)
    return img.new_like(saturate_cast(y, dt))

