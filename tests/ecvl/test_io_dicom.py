"""DICOM reading compared with pydicom's own arrays, writing, series folders and windows."""

import os

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut

import ecvl
from ecvl import ColorType, DataType, Image


def _file(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"pydicom test file {name} is not installed")
    return path


def _reference(path):
    """What the image should be: pydicom's pixels with the modality LUT, as (frames, H, W, C)."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    if ds.SamplesPerPixel == 1:
        arr = apply_modality_lut(arr, ds)[..., None]
    return (arr if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else arr[None]), ds


@pytest.mark.parametrize("name", [
    "CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
    "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "JPGExtended.dcm", "liver_1frame.dcm",
    "SC_rgb_rle.dcm", "SC_rgb_rle_16bit.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_ybr_full_422_uncompressed.dcm",
    "SC_rgb_rle_2frame.dcm", "rtdose.dcm",
])
def test_matches_pydicom(name):
    path = _file(name)
    try:
        ref, ds = _reference(path)
    except RuntimeError as e:  # pydicom itself lacks a decoder here: we must then say which one
        with pytest.raises(ecvl.ImageIOError, match="install"):
            ecvl.dicom_read(path)
        pytest.skip(f"no decoder installed for {name}: {e}")
    img = ecvl.dicom_read(path)
    frames = ref.shape[0]
    assert img.channels_ == ("xyc" if frames == 1 else "xyzc")
    assert img.colortype_ == (ColorType.GRAY if ds.SamplesPerPixel == 1 else ColorType.RGB)
    got = img.canonical() if frames > 1 else img.canonical()[None]
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got.astype(np.float64), ref.astype(np.float64))
    # x-first public view: element (x, y) is row y, column x
    first = np.asarray(img) if frames == 1 else np.asarray(img)[:, :, 0]
    assert first[3, 1, 0] == got[0, 1, 3, 0]
    ps = getattr(ds, "PixelSpacing", None)
    if ps is not None:
        assert img.spacings_[:2] == [float(ps[1]), float(ps[0])]
    assert img.get_meta("Rows") == ds.Rows


def test_ct_rescale_and_meta():
    img = ecvl.DicomRead(_file("CT_small.dcm"))
    ds = pydicom.dcmread(_file("CT_small.dcm"))
    assert img.elemtype_ == DataType.int32  # slope 1, intercept -1024 on signed 16-bit
    np.testing.assert_array_equal(img.canonical()[..., 0], ds.pixel_array.astype(np.int32) - 1024)
    assert img.get_meta("PatientName") == str(ds.PatientName)
    assert img.get_meta("ImagePositionPatient") == [float(v) for v in ds.ImagePositionPatient]
    raw = ecvl.dicom_read(_file("CT_small.dcm"), rescale=False)
    np.testing.assert_array_equal(raw.canonical()[..., 0], ds.pixel_array)


def test_float_rescale(tmp_path):
    ds = pydicom.dcmread(_file("MR_small.dcm"))
    ds.RescaleSlope, ds.RescaleIntercept = 0.5, 3.25
    ds.save_as(tmp_path / "r.dcm")
    img = ecvl.dicom_read(tmp_path / "r.dcm")
    assert img.elemtype_ == DataType.float32
    np.testing.assert_allclose(img.canonical()[..., 0], ds.pixel_array * 0.5 + 3.25, rtol=1e-6)


def test_monochrome1_is_inverted(tmp_path):
    ds = pydicom.dcmread(_file("MR_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(tmp_path / "m1.dcm")
    img = ecvl.dicom_read(tmp_path / "m1.dcm")
    bits = ds.BitsStored
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1  # MR_small is signed
    np.testing.assert_array_equal(img.canonical()[..., 0], (lo + hi) - ds.pixel_array.astype(np.int64))
    assert img.get_meta("PhotometricInterpretation") == "MONOCHROME1"


def test_missing_decoder_names_the_package(monkeypatch):
    from pydicom.pixels.decoders import JPEG2000LosslessDecoder

    monkeypatch.setattr(JPEG2000LosslessDecoder, "_available", {})
    with pytest.raises(ecvl.ImageIOError, match=r"MR_small_jp2klossless\.dcm: cannot decode transfer syntax "
                                                r"JPEG 2000.*no decoder is installed; install pylibjpeg-openjpeg"):
        ecvl.dicom_read(_file("MR_small_jp2klossless.dcm"))


def test_undecodable_data_is_a_clear_error():
    with pytest.raises(ecvl.ImageIOError, match=r"JPEG-lossy\.dcm: decoding JPEG Extended"):
        ecvl.dicom_read(_file("JPEG-lossy.dcm"))


@pytest.mark.parametrize("dtype,c", [(np.uint8, 1), (np.uint16, 1), (np.int16, 1), (np.uint8, 3)])
def test_write_round_trip(tmp_path, dtype, c):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    hwc = rng.integers(info.min, info.max, (6, 9, c), endpoint=True).astype(dtype)
    img = Image.from_canonical(hwc, "xyc", ColorType.GRAY if c == 1 else ColorType.RGB, [0.5, 0.25, 1.0])
    img.SetMeta("PatientName", "Doe^Jane")
    ecvl.DicomWrite(str(tmp_path / "a.dcm"), img)
    ds = pydicom.dcmread(tmp_path / "a.dcm")
    assert str(ds.PatientName) == "Doe^Jane" and [float(v) for v in ds.PixelSpacing] == [0.25, 0.5]
    np.testing.assert_array_equal(ds.pixel_array.reshape(hwc.shape), hwc)
    back = ecvl.imread(tmp_path / "a.dcm")
    np.testing.assert_array_equal(back.canonical(), hwc)
    assert back.spacings_[:2] == [0.5, 0.25]


def test_write_bgr_volume_and_errors(tmp_path):
    rng = np.random.default_rng(1)
    vol = rng.integers(0, 255, (3, 4, 5, 3)).astype(np.uint8)
    ecvl.imwrite(tmp_path / "v.dcm", Image.from_canonical(vol, "xyzc", ColorType.BGR))
    back = ecvl.dicom_read(tmp_path / "v.dcm")
    assert back.channels_ == "xyzc" and back.colortype_ == ColorType.RGB
    np.testing.assert_array_equal(back.canonical(), vol[..., ::-1])
    with pytest.raises(ecvl.ImageIOError, match="f.dcm: DICOM writing supports"):
        ecvl.dicom_write(tmp_path / "f.dcm", Image([4, 4], DataType.float32, "xy"))
    assert not (tmp_path / "f.dcm").exists()


def test_series_folder_sorted_by_position(tmp_path):
    src = pydicom.dcmread(_file("CT_small.dcm"))
    order = [3, 0, 4, 1, 2]
    for k, z in enumerate(order):
        ds = pydicom.dcmread(_file("CT_small.dcm"))
        ds.PixelData = (src.pixel_array + z * 10).astype(src.pixel_array.dtype).tobytes()
        pos = [float(v) for v in src.ImagePositionPatient]
        ds.ImagePositionPatient = [pos[0], pos[1], pos[2] + 2.5 * z]
        ds.InstanceNumber = 100 - z  # disagrees with the positions on purpose
        ds.save_as(tmp_path / f"slice_{k}.dcm")
    (tmp_path / "notes.txt").write_text("not dicom")
    vol = ecvl.dicom_read_series(tmp_path)
    assert vol.channels_ == "xyzc" and vol.dims_ == [128, 128, 5, 1]
    assert vol.spacings_[2] == pytest.approx(2.5)
    base = src.pixel_array.astype(np.int64) - 1024
    for z in range(5):
        np.testing.assert_array_equal(vol.canonical()[z, ..., 0], base + z * 10)
    with pytest.raises(ecvl.ImageIOError, match="no DICOM slices"):
        os.mkdir(tmp_path / "empty")
        ecvl.dicom_read_series(tmp_path / "empty")


def test_window():
    img = ecvl.dicom_read(_file("CT_small.dcm"))
    center, width = 40.0, 400.0
    w = ecvl.apply_window(img, center, width)
    x = img.canonical().astype(np.float64)
    ref = np.clip(((x - (center - 0.5)) / (width - 1) + 0.5) * 255, 0, 255)
    assert w.elemtype_ == DataType.uint8
    np.testing.assert_array_equal(w.canonical(), np.rint(ref).astype(np.uint8))
    f = ecvl.apply_window(img, center, width, DataType.float32)
    assert f.min() >= 0 and f.max() <= 1
    stored = ecvl.window_from_meta(img)
    if stored is None:
        with pytest.raises(ecvl.EcvlValueError, match="none in the image metadata"):
            ecvl.apply_window(img)
    else:
        ecvl.apply_window(img)
    with pytest.raises(ecvl.EcvlValueError, match="width"):
        ecvl.apply_window(img, 0, 0)
