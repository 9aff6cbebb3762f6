"""deephealth-predict on DICOM series and NIfTI volumes, against the network fed directly."""

import csv
import os

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import ecvl
import eddl
from bridge.app.cli import predict_main
from bridge.app.experiment import resolve
from bridge.app.train import load_run_model, run_experiment
from bridge.volume import is_volume_path, predict_volume, volume_to_unit

_CT = "1.2.840.10008.5.1.4.1.1.2"


def _run(lesions, tmp_path_factory, ddf):
    out = tmp_path_factory.mktemp(f"run_{ddf}")
    cfg = resolve(overrides={"dataset": lesions[ddf], "epochs": 1, "batch_size": 4,
                             "out": str(out), "workers": 1, "overlays": 0})
    run_experiment(cfg, verbose=False)
    return str(out)


@pytest.fixture(scope="module")
def cls_run(lesions, tmp_path_factory):
    return _run(lesions, tmp_path_factory, "classification")


@pytest.fixture(scope="module")
def seg_run(lesions, tmp_path_factory):
    return _run(lesions, tmp_path_factory, "segmentation")


def _volume(rng, d, h=16, w=16):
    """(D, H, W) uint8 slices with a bright blob, so segmentations are not empty."""
    yy, xx = np.mgrid[0:h, 0:w]
    vol = rng.integers(60, 140, (d, h, w)).astype(np.uint8)
    for z in range(d):
        vol[z][(yy - h / 2) ** 2 + (xx - w / 2 - z) ** 2 < (3 + z) ** 2] = 30
    return vol


def _write_series(folder, vol, dtype=np.uint8, window=None):
    """One CT slice file per z, written out of order, positions along a tilted normal."""
    os.makedirs(folder, exist_ok=True)
    ori = [1.0, 0.0, 0.0, 0.0, 0.8, 0.6]  # normal (0, -0.6, 0.8)
    normal = np.cross(ori[:3], ori[3:])
    series = generate_uid()
    for k, z in enumerate(np.random.default_rng(7).permutation(len(vol))):
        ds = pydicom.Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = _CT
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID, ds.SOPInstanceUID = _CT, ds.file_meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID, ds.Modality = series, "CT"
        ds.ImageOrientationPatient = ori
        ds.ImagePositionPatient = [float(v) for v in 10.0 + 2.5 * z * normal]
        ds.InstanceNumber = 50 - z  # disagrees with the positions on purpose
        ds.Rows, ds.Columns = vol.shape[1:]
        ds.PixelSpacing = [0.7, 0.7]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        bits = np.dtype(dtype).itemsize * 8
        ds.BitsAllocated = ds.BitsStored = bits
        ds.HighBit = bits - 1
        ds.PixelRepresentation = int(np.dtype(dtype).kind == "i")
        if window:
            ds.WindowCenter, ds.WindowWidth = window
        ds.PixelData = vol[z].astype(np.dtype(dtype).newbyteorder("<")).tobytes()
        ds.save_as(os.path.join(folder, f"img{k:03d}.dcm"), enforce_file_format=True)
    with open(os.path.join(folder, "README.txt"), "w") as f:
        f.write("not a slice")


def _rows(path):
    with open(path) as f:
        return list(csv.reader(f))


def _direct(net, slices_unit):
    """The network on (D, H, W) gray slices in [0, 1], as its 3 input channels."""
    x = np.repeat(slices_unit[:, None].astype(np.float32), 3, axis=1)
    return eddl.predict(net, [x])[0].numpy()


def test_dicom_series_classification_matches_direct(cls_run, tmp_path):
    vol = _volume(np.random.default_rng(0), 5)
    series = tmp_path / "series"
    _write_series(series, vol)
    assert is_volume_path(str(series))
    assert predict_main([cls_run, str(series), "--out", str(tmp_path / "p")]) == 0
    rows = _rows(tmp_path / "p" / "predictions.csv")
    assert rows[0] == ["file", "slice", "class", "p_nevus", "p_melanoma", "p_keratosis"]
    assert [r[1] for r in rows[1:]] == ["0", "1", "2", "3", "4"]
    _, net, _ = load_run_model(cls_run)
    ref = _direct(net, vol / 255.0)  # slices in position order, not file order
    got = np.array([[float(v) for v in r[3:]] for r in rows[1:]])
    np.testing.assert_allclose(got, ref, atol=1e-6)
    names = ["nevus", "melanoma", "keratosis"]
    assert [r[2] for r in rows[1:]] == [names[k] for k in ref.argmax(1)]
    assert (tmp_path / "p" / "series_slices.png").stat().st_size > 0


def test_dicom_window_and_minmax_intensity(tmp_path):
    vol = _volume(np.random.default_rng(1), 3).astype(np.int16) * 8 - 500
    _write_series(tmp_path / "w", vol, np.int16, window=(0.0, 1001.0))
    img = ecvl.dicom_read_series(tmp_path / "w")
    ref = np.clip((vol - (0.0 - 0.5)) / 1000.0 + 0.5, 0, 1)
    np.testing.assert_allclose(volume_to_unit(img)[..., 0], ref, atol=1e-6)
    _write_series(tmp_path / "m", vol, np.int16)
    img = ecvl.dicom_read_series(tmp_path / "m")
    ref = (vol - vol.min()) / float(vol.max() - vol.min())
    np.testing.assert_allclose(volume_to_unit(img)[..., 0], ref, atol=1e-6)
    np.testing.assert_allclose(volume_to_unit(img, (0.0, 1001.0))[..., 0],
                               np.clip((vol + 0.5) / 1000.0 + 0.5, 0, 1), atol=1e-6)


def _affine():
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    aff = np.eye(4)
    aff[:3, :3] = rot * [0.8, 0.9, 2.0]
    aff[:3, 3] = [-12.5, 30.0, 7.25]
    return aff


def test_nifti_segmentation_matches_direct(seg_run, tmp_path):
    vol = _volume(np.random.default_rng(2), 4)  # (z, y, x)
    src = tmp_path / "scan.nii.gz"
    nib.save(nib.Nifti1Image(vol.transpose(2, 1, 0).copy(), _affine()), src)
    assert predict_main([seg_run, str(src), "--out", str(tmp_path / "p")]) == 0
    _, net, _ = load_run_model(seg_run)
    ref = _direct(net, vol / 255.0)[:, 0] > 0.5  # (z, y, x)
    rows = _rows(tmp_path / "p" / "predictions.csv")
    assert rows[0] == ["file", "slice", "lesion_fraction"]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], ref.mean(axis=(1, 2)), atol=1e-6)
    out = nib.load(tmp_path / "p" / "scan_mask.nii.gz")
    np.testing.assert_allclose(out.affine, nib.load(src).affine, atol=1e-6)
    assert out.header.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(np.asarray(out.dataobj), ref.transpose(2, 1, 0))
    pngs = sorted(f for f in os.listdir(tmp_path / "p") if f.endswith(".png"))
    assert pngs == [f"scan_z{z:03d}.png" for z in range(4)]


def test_resized_slices_keep_the_source_grid(seg_run, tmp_path):
    vol = _volume(np.random.default_rng(3), 3, h=24, w=20)
    src = tmp_path / "big.nii"
    nib.save(nib.Nifti1Image(vol.transpose(2, 1, 0).copy(), np.diag([1.0, 1.0, 3.0, 1.0])), src)
    d = tmp_path / "folder"
    d.mkdir()
    os.replace(src, d / "big.nii")
    assert predict_main([seg_run, str(d), "--out", str(tmp_path / "p"), "--max-overlays",
                         "1"]) == 0
    out = nib.load(tmp_path / "p" / "big_mask.nii.gz")
    assert out.shape == (20, 24, 3)
    assert [f for f in os.listdir(tmp_path / "p") if f.endswith(".png")] == ["big_z000.png"]


def test_3d_networks_predict_whole_volumes():
    eddl.set_seed(4)
    x = eddl.Input([1, 4, 8, 8])
    h = eddl.ReLu(eddl.Conv3D(x, 4, [3, 3, 3]))
    h = eddl.Flatten(eddl.GlobalAveragePool3D(h))
    clf = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 3))])
    eddl.build(clf, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"])
    vol = _volume(np.random.default_rng(5), 4, 8, 8)
    img = ecvl.Image.from_canonical(vol[..., None], "xyzc", ecvl.ColorType.GRAY)
    res = predict_volume(clf, img)
    ref = eddl.predict(clf, [(vol / 255.0)[None, None].astype(np.float32)])[0].numpy()
    assert res["per"] == "volume"
    np.testing.assert_allclose(res["probs"], ref, atol=1e-6)
    seg = eddl.zoo.unet3d([1, 4, 8, 8], 1, depth=1, base_filters=2)
    eddl.build(seg, eddl.adam(0.01), ["binary_cross_entropy"], ["dice"])
    res = predict_volume(seg, img)
    ref = eddl.predict(seg, [(vol / 255.0)[None, None].astype(np.float32)])[0].numpy()
    np.testing.assert_array_equal(res["mask"], (ref[0, 0] > 0.5).astype(np.uint8))
    # a depth other than the network's is resampled there and back
    img6 = ecvl.Image.from_canonical(_volume(np.random.default_rng(6), 6, 8, 8)[..., None],
                                     "xyzc", ecvl.ColorType.GRAY)
    assert predict_volume(seg, img6)["mask"].shape == (6, 8, 8)


def test_bad_volume_inputs(cls_run, tmp_path, capsys):
    four_d = tmp_path / "t.nii"
    nib.save(nib.Nifti1Image(np.zeros((16, 16, 2, 3), np.uint8), np.eye(4)), four_d)
    assert predict_main([cls_run, str(four_d), "--out", str(tmp_path / "p")]) == 2
    assert "time point" in capsys.readouterr().err
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    assert predict_main([cls_run, str(broken), "--kind", "nifti", "--out",
                         str(tmp_path / "p")]) == 2
    assert "broken.nii.gz" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert predict_main([cls_run, str(empty), "--kind", "nifti"]) == 2
    assert "no NIfTI files" in capsys.readouterr().err
    assert predict_main([cls_run, str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict_main([cls_run, str(empty), "--intensity-window", "10", "0"])


def test_single_dicom_file_and_mixed_folders(cls_run, tmp_path):
    vol = _volume(np.random.default_rng(8), 3)
    multi = ecvl.Image.from_canonical(vol[..., None].copy(), "xyzc", ecvl.ColorType.GRAY)
    path = tmp_path / "multi.dcm"
    ecvl.dicom_write(path, multi)  # one multi-frame file: a volume of 3 slices
    assert predict_main([cls_run, str(path), "--out", str(tmp_path / "p")]) == 0
    rows = _rows(tmp_path / "p" / "predictions.csv")
    _, net, _ = load_run_model(cls_run)
    np.testing.assert_allclose([[float(v) for v in r[3:]] for r in rows[1:]],
                               _direct(net, vol / 255.0), atol=1e-6)
    # DICOM next to raster images is a folder of images, not a series
    from PIL import Image as PILImage
    PILImage.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "photo.png")
    assert not is_volume_path(str(tmp_path))
    assert is_volume_path(str(path))


def test_non_finite_voxels_count_as_background():
    a = np.array([[[np.nan], [2.0], [np.inf], [6.0]]], np.float32)  # one row of 4 pixels
    img = ecvl.Image.from_canonical(a, "xyc")
    np.testing.assert_allclose(volume_to_unit(img)[0, 0, :, 0], [0.0, 0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="no finite"):
        volume_to_unit(ecvl.Image.from_canonical(np.full((1, 2, 1), np.nan, np.float32), "xyc"))
