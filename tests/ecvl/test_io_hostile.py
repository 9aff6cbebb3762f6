"""Regression tests for hostile and inconsistent image files: one clear error, bounded memory.

Each test builds the smallest file showing one problem found by mutation fuzzing (see
``tests/fuzz``) and checks the reader's answer: an ImageIOError naming the file and the
problem, raised before any large allocation.
"""

import gzip
import os
import shutil
import struct
import time
import tracemalloc
import zlib
from io import BytesIO

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl.io import _common, limits

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402


def _png(w, h, raw, ctype=0, depth=8):
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def _rgb_png(tmp_path, name="a.png", size=(24, 32)):
    a = np.random.default_rng(0).integers(0, 255, size + (3,)).astype(np.uint8)
    path = tmp_path / name
    PILImage.fromarray(a).save(path)
    return path, a


# -- StopIteration must never escape a reader ------------------------------------------
def _raise_stop(*args, **kwargs):
    raise StopIteration


@pytest.mark.parametrize("reader, patch", [
    (ecvl.dicom_read, "ecvl.io.dicom._pixels"),
    (ecvl.imread, "ecvl.io.dicom._pixels"),
    (ecvl.nifti_read, "ecvl.io.nifti._check_declared"),
    (ecvl.imread, "ecvl.io.raster._apply_flags"),
    (ecvl.read_raster, "ecvl.io.raster._apply_flags"),
    (ecvl.imread_multi, "ecvl.io.raster._apply_flags"),
])
def test_stop_iteration_inside_a_reader_is_an_error_not_the_end_of_a_map(
        tmp_path, monkeypatch, reader, patch):
    from nibabel.testing import data_path

    src = {"dicom": get_testdata_file("MR_small.dcm"), "nifti": os.path.join(data_path, "anatomical.nii"),
           "raster": str(_rgb_png(tmp_path)[0])}[patch.split(".")[2]]
    monkeypatch.setattr(patch, _raise_stop)
    with pytest.raises(ecvl.ImageIOError) as info:
        list(map(reader, [src, src]))  # StopIteration here would silently return []
    assert src in str(info.value)
    assert isinstance(info.value.__cause__, StopIteration)


def test_reading_wrapper_keeps_interrupts_and_chains_the_cause():
    with pytest.raises(KeyboardInterrupt):
        with _common.reading("f.png", "reading"):
            raise KeyboardInterrupt
    with pytest.raises(ecvl.ImageIOError, match=r"f\.png: reading failed \(KeyError: 'x+\.\.\. \(4802 more characters\)\)") as info:
        with _common.reading("f.png", "reading"):
            raise KeyError("x" * 5000)
    assert isinstance(info.value.__cause__, KeyError)
    assert len(str(info.value)) < 300  # a hostile value does not flood the message


def test_corrupt_rle_dicom_from_the_fuzz_campaign_raises_image_io_error(tmp_path):
    src = get_testdata_file("SC_rgb_rle_2frame.dcm")
    data = bytearray(open(src, "rb").read())
    # one bit of the basic offset table: pydicom's frame generator then ends early, and its
    # StopIteration escaped dicom_read
    data[data.find(b"\xe0\x7f\x10\x00") + 24] ^= 1
    with pytest.raises(StopIteration):
        _ = pydicom.dcmread(BytesIO(bytes(data))).pixel_array
    path = tmp_path / "bad.dcm"
    path.write_bytes(bytes(data))
    good = get_testdata_file("SC_rgb_rle_2frame.dcm")
    with pytest.raises(ecvl.ImageIOError, match="bad.dcm"):
        list(map(ecvl.dicom_read, [good, str(path), good]))


# -- DICOM headers that disagree with their data ---------------------------------------
def _dicom_copy(tmp_path, name, **tags):
    ds = pydicom.dcmread(get_testdata_file(name))
    for k, v in tags.items():
        setattr(ds, k, v)
    path = tmp_path / f"edited_{name}"
    ds.save_as(path)
    return str(path)


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf"])
def test_dicom_non_finite_rescale_is_an_error_naming_the_tag(tmp_path, value):
    path = _dicom_copy(tmp_path, "CT_small.dcm")
    ds = pydicom.dcmread(path)
    ds["RescaleIntercept"].value = value  # written as text, as a damaged file holds it
    ds.save_as(path)
    with pytest.raises(ecvl.ImageIOError, match=r"edited_CT_small.dcm: .*RescaleIntercept is"):
        ecvl.dicom_read(path)
    img = ecvl.dicom_read(path, rescale=False)  # the stored values are still readable
    assert np.isfinite(np.asarray(img, dtype=np.float64)).all()


@pytest.mark.parametrize("frames", [2, 512])
def test_dicom_number_of_frames_disagreeing_with_pixel_data_is_an_error(tmp_path, frames):
    path = _dicom_copy(tmp_path, "MR_small.dcm", NumberOfFrames=frames)
    with pytest.raises(ecvl.ImageIOError, match="NumberOfFrames"):
        ecvl.dicom_read(path)


def test_one_bit_dicom_with_a_frame_count_lie_is_an_error(tmp_path):
    src = get_testdata_file("liver_1frame.dcm")
    if src is None:
        pytest.skip("pydicom test file missing")
    ds = pydicom.dcmread(src)
    assert ds.BitsAllocated == 1
    ds.NumberOfFrames = 512
    path = tmp_path / "liver.dcm"
    ds.save_as(path)
    with pytest.raises(ecvl.ImageIOError, match="NumberOfFrames 512"):
        ecvl.dicom_read(path)
    assert ecvl.dicom_read(src).dims_[:2] == [ds.Columns, ds.Rows]


def test_dicom_with_tiff_magic_in_its_preamble_is_read_as_dicom():
    src = get_testdata_file("CT_small.dcm")
    with open(src, "rb") as f:
        head = f.read(132)
    assert head[:4] in (b"II*\x00", b"MM\x00*") and head[128:] == b"DICM"
    assert ecvl.sniff_format(src) == "dicom"
    img = ecvl.imread(src)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(ecvl.dicom_read(src)))


def test_dicom_declared_size_over_the_limit_is_refused(tmp_path):
    src = get_testdata_file("MR_small.dcm")
    with limits.limits(max_pixels=64 * 64 - 1):
        with pytest.raises(ecvl.ImageIOError, match=r"MR_small.dcm: .*max_pixels"):
            ecvl.dicom_read(src)
    assert ecvl.dicom_read(src).dims_[:2] == [64, 64]


def test_deflated_dicom_is_bounded_before_pydicom_inflates_it():
    src = get_testdata_file("image_dfl.dcm")
    if src is None:
        pytest.skip("pydicom test file missing")
    with limits.limits(max_bytes=1000):
        with pytest.raises(ecvl.ImageIOError, match=r"deflated DICOM dataset inflates to more"):
            ecvl.dicom_read(src)
    assert ecvl.dicom_read(src).dims_


# -- PNG: incremental inflate and the pixel limit --------------------------------------
def test_png_bomb_inflates_only_what_the_header_announces(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(1, 1, bytes(64 * 2 ** 20)))  # 1x1 gray, 64 MiB of zeros inflated
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ecvl.ImageIOError, match=r"bomb.png: .*inflates to more than the 2 bytes"):
            ecvl.imread(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2 ** 20


def test_png_header_lying_about_its_size_fails_before_inflating(tmp_path):
    path = tmp_path / "lie.png"
    path.write_bytes(_png(4000, 4000, bytes(4001 * 10)))  # 16 Mpx announced, tiny stream
    with pytest.raises(ecvl.ImageIOError, match="cannot inflate to that"):
        ecvl.imread(path)


def test_consistent_huge_png_is_refused_by_the_pixel_limit(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(_png(20000, 20000, b"\x00"))  # the header alone decides
    with pytest.raises(ecvl.ImageIOError, match=r"huge.png: PNG header \(20000x20000\) announces "
                                                r"400000000 pixels per plane, over the limit"):
        ecvl.imread(path)


@pytest.mark.parametrize("fmt, ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("BMP", ".bmp"),
                                      ("TIFF", ".tif"), ("PPM", ".ppm")])
def test_every_raster_reader_honours_the_library_limits(tmp_path, fmt, ext):
    a = np.random.default_rng(1).integers(0, 255, (24, 32, 3)).astype(np.uint8)
    path = tmp_path / f"a{ext}"
    PILImage.fromarray(a).save(path, format=fmt)
    assert ecvl.imread(path).dims_[:2] == [32, 24]
    with limits.limits(max_pixels=32 * 24 - 1):
        for reader in (ecvl.imread, ecvl.read_raster, ecvl.imread_multi):
            with pytest.raises(ecvl.ImageIOError, match=r"max_pixels"):
                reader(path)
    with limits.limits(max_bytes=32 * 24 * 3 - 1):
        with pytest.raises(ecvl.ImageIOError, match=r"max_bytes"):
            ecvl.imread(path)
    assert limits.get_limits() == {"max_pixels": 2 ** 28, "max_bytes": 2 ** 31}


def test_set_limits_validates_and_returns_the_old_values():
    with pytest.raises(ValueError, match="max_pixels"):
        limits.set_limits(max_pixels=0)
    with pytest.raises(ValueError, match="max_bytes"):
        limits.set_limits(max_bytes=1.5)
    old = limits.set_limits(max_pixels=123)
    try:
        assert limits.get_limits()["max_pixels"] == 123
    finally:
        limits.set_limits(**old)
    assert limits.get_limits() == old


# -- NIfTI: declared size against file size, zero dimensions, complex data --------------
def _nifti_header(shape, datatype=16, bitpix=32):
    import nibabel as nib

    hdr = nib.Nifti1Header()
    hdr.set_data_shape(shape)
    hdr["datatype"], hdr["bitpix"] = datatype, bitpix
    hdr["vox_offset"] = 352
    return hdr.binaryblock + b"\x00" * 4


def test_tiny_nii_gz_claiming_gigabytes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "lie.nii.gz"
    path.write_bytes(gzip.compress(_nifti_header((1000, 1000, 400))))  # 1.6 GB of float32
    assert path.stat().st_size < 400
    start = time.monotonic()
    with pytest.raises(ecvl.ImageIOError, match=r"lie.nii.gz: .*1600000000 bytes"):
        ecvl.nifti_read(path)
    assert time.monotonic() - start < 2


def test_truncated_nii_is_refused_before_allocating(tmp_path):
    path = tmp_path / "short.nii"
    path.write_bytes(_nifti_header((100, 100, 10)) + bytes(1000))
    with pytest.raises(ecvl.ImageIOError, match=r"short.nii: truncated NIfTI file"):
        ecvl.nifti_read(path)


def test_nifti_zero_dimension_and_complex_data_name_the_file(tmp_path):
    import nibabel as nib

    zero = tmp_path / "zero.nii"
    zero.write_bytes(_nifti_header((4, 0, 3)))
    with pytest.raises(ecvl.ImageIOError, match=r"zero.nii: .*every dimension must be positive"):
        ecvl.nifti_read(zero)
    cplx = tmp_path / "complex.nii"
    nib.save(nib.Nifti1Image(np.ones((3, 4, 2), np.complex64), np.eye(4)), cplx)
    with pytest.raises(ecvl.ImageIOError, match=r"complex.nii: complex NIfTI data"):
        ecvl.nifti_read(cplx)


def test_nifti_limits_apply(tmp_path):
    from nibabel.testing import data_path

    src = os.path.join(data_path, "example4d.nii.gz")
    with limits.limits(max_bytes=1000):
        with pytest.raises(ecvl.ImageIOError, match="max_bytes"):
            ecvl.nifti_read(src)
    shutil.copy(src, tmp_path / "x.nii.gz")
    assert ecvl.nifti_read(tmp_path / "x.nii.gz").dims_ == [128, 96, 24, 2]


def test_error_messages_of_readers_are_one_line(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(_png(3, 3, b"\x00" * 3) [:-20] + b"\n" * 40)
    with pytest.raises(ecvl.ImageIOError) as info:
        ecvl.imread(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("ext", [".nii", ".nii.gz"])
def test_nifti_extension_size_lie_is_refused_before_reading_it(tmp_path, ext):
    import nibabel as nib

    img = nib.Nifti1Image(np.zeros((4, 3, 2), np.int16), np.eye(4))
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"hello world" * 3))
    good = tmp_path / "good.nii"
    nib.save(img, good)
    data = bytearray(good.read_bytes())
    assert struct.unpack("<i", data[352:356])[0] == 48  # the extension's size field
    data[352:356] = struct.pack("<i", 2 ** 31 - 1)  # nibabel would read(2 GiB)
    bad = tmp_path / f"bad{ext}"
    bad.write_bytes(gzip.compress(bytes(data)) if ext == ".nii.gz" else bytes(data))
    with pytest.raises(ecvl.ImageIOError, match=r"bad.nii(.gz)?: corrupt NIfTI header extension: "
                                                r"size 2147483647"):
        ecvl.nifti_read(bad)
    assert ecvl.nifti_read(good).dims_ == [4, 3, 2]


def test_dicom_series_total_size_honours_the_limit(tmp_path):
    for i in range(3):
        shutil.copy(get_testdata_file("MR_small.dcm"), tmp_path / f"s{i}.dcm")
    assert ecvl.dicom_read_series(tmp_path).dims_[:3] == [64, 64, 3]
    one = np.asarray(ecvl.dicom_read(tmp_path / "s0.dcm")).nbytes
    with limits.limits(max_bytes=2 * one):
        ecvl.dicom_read(tmp_path / "s0.dcm")  # one slice fits, three do not
        with pytest.raises(ecvl.ImageIOError, match=r"series of 3 slices announces .*max_bytes"):
            ecvl.dicom_read_series(tmp_path)
