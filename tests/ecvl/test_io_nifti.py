"""NIfTI reading compared with nibabel's arrays; affine, spacings and scaling written back."""

import os

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path

import ecvl
from ecvl import ColorType, DataType, Image


@pytest.mark.parametrize("name,channels", [("anatomical.nii", "xyz"), ("example4d.nii.gz", "xyzt"),
                                           ("example_nifti2.nii.gz", "xyzt")])
def test_matches_nibabel(name, channels):
    path = os.path.join(data_path, name)
    if not os.path.exists(path):
        pytest.skip(f"nibabel test file {name} missing")
    ref = nib.load(path)
    img = ecvl.NiftiRead(path)
    data = np.asanyarray(ref.dataobj)
    assert img.channels_ == channels[: data.ndim] and img.dims_ == list(data.shape)
    np.testing.assert_array_equal(np.asarray(img), data)
    np.testing.assert_allclose(np.asarray(img, dtype=np.float64), ref.get_fdata())
    assert img.spacings_ == pytest.approx([float(z) for z in ref.header.get_zooms()])
    np.testing.assert_allclose(img.get_meta("affine"), ref.affine)
    assert img.canonical().flags.c_contiguous and img.canonical().shape[-1] == 1


@pytest.mark.parametrize("ext", [".nii", ".nii.gz"])
def test_round_trip_keeps_affine_and_data(tmp_path, ext):
    path = os.path.join(data_path, "example4d.nii.gz")
    img = ecvl.nifti_read(path)
    out = tmp_path / f"out{ext}"
    ecvl.NiftiWrite(str(out), img)
    back = ecvl.imread(out)
    np.testing.assert_array_equal(np.asarray(back), np.asarray(img))
    np.testing.assert_allclose(back.get_meta("affine"), img.get_meta("affine"), atol=1e-5)
    assert back.spacings_ == pytest.approx(img.spacings_)
    assert nib.load(out).header.get_xyzt_units() == nib.load(path).header.get_xyzt_units()


def test_scaling_applied(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    n = nib.Nifti1Image(data, np.diag([2.0, 3.0, 4.0, 1.0]))
    n.header.set_slope_inter(0.5, 10.0)
    nib.save(n, tmp_path / "s.nii")
    img = ecvl.nifti_read(tmp_path / "s.nii")
    np.testing.assert_allclose(np.asarray(img), data * 0.5 + 10.0)
    assert img.spacings_ == [2.0, 3.0, 4.0]


def test_spacings_update_affine_and_layouts(tmp_path):
    aff = np.array([[0, 0, 3.0, 5], [0, -2.0, 0, 6], [1.0, 0, 0, 7], [0, 0, 0, 1]])
    vol = np.random.default_rng(0).random((4, 5, 6)).astype(np.float32)
    nib.save(nib.Nifti1Image(vol, aff), tmp_path / "a.nii.gz")
    img = ecvl.nifti_read(tmp_path / "a.nii.gz")
    assert img.spacings_ == [1.0, 2.0, 3.0]
    img.spacings_ = [2.0, 2.0, 6.0]  # as a resampling op would set them
    cz = ecvl.rearrange_channels(img, "zyx")  # written back in x, y, z order whatever the layout
    ecvl.nifti_write(tmp_path / "b.nii.gz", cz)
    back = nib.load(tmp_path / "b.nii.gz")
    np.testing.assert_array_equal(np.asanyarray(back.dataobj), vol)
    np.testing.assert_allclose(back.affine[:3, :3], aff[:3, :3] * np.array([2.0, 1.0, 2.0]))
    np.testing.assert_allclose(back.affine[:3, 3], aff[:3, 3])


def test_write_plain_volume_and_rgb(tmp_path):
    img = Image.fromarray(np.arange(24, dtype=np.uint16).reshape(4, 3, 2), "xyz", spacings=[1, 2, 3])
    ecvl.imwrite(tmp_path / "p.nii", img)
    n = nib.load(tmp_path / "p.nii")
    np.testing.assert_array_equal(np.asanyarray(n.dataobj), np.asarray(img))
    np.testing.assert_allclose(n.affine, np.diag([1.0, 2.0, 3.0, 1.0]))
    rgb = Image.fromarray(np.random.default_rng(1).integers(0, 255, (4, 3, 2, 3)).astype(np.uint8), "xyzc",
                          ColorType.RGB)
    ecvl.nifti_write(tmp_path / "rgb.nii.gz", rgb)
    back = ecvl.nifti_read(tmp_path / "rgb.nii.gz")
    assert back.channels_ == "xyzc" and back.colortype_ == ColorType.RGB
    np.testing.assert_array_equal(np.asarray(back), np.asarray(rgb))


def test_errors(tmp_path):
    with pytest.raises(ecvl.ImageIOError, match=r"a\.nii: file does not exist"):
        ecvl.nifti_read(tmp_path / "a.nii")
    with pytest.raises(ecvl.ImageIOError, match="must end in .nii"):
        ecvl.nifti_write(tmp_path / "a.img", Image([2, 2, 2], DataType.uint8, "xyz"))
    (tmp_path / "bad.nii").write_bytes(b"\x5c\x01\x00\x00" + b"\x00" * 400)
    with pytest.raises(ecvl.ImageIOError, match="bad.nii"):
        ecvl.imread(tmp_path / "bad.nii")
