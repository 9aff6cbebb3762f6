"""Truncated and bit-flipped PNG/JPEG/TIFF/DICOM/NIfTI files: every reader fails cleanly.

A damaged file must either still decode to a valid image (flips inside pixel data
often do) or raise ImageIOError naming the file; any other exception type, a crash or
a hang is a bug. Cases are seeded so that a failure is reproducible.
"""

import os
import shutil
import time

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl

N_CASES = 12


def _seed_files(folder):
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 255, (24, 32, 3)).astype(np.uint8)
    files = {}
    PILImage.fromarray(hwc).save(folder / "a.png")
    files["png"] = folder / "a.png"
    PILImage.fromarray(hwc).save(folder / "a.jpg", quality=90)
    files["jpeg"] = folder / "a.jpg"
    ecvl.imwrite(folder / "a16.png", ecvl.Image.from_canonical(hwc.astype(np.uint16) * 257, "xyc",
                                                               ecvl.ColorType.RGB))
    files["png16"] = folder / "a16.png"
    PILImage.fromarray(hwc).save(folder / "a.tif")
    files["tiff"] = folder / "a.tif"
    from pydicom.data import get_testdata_file

    for name in ("MR_small.dcm", "MR_small_RLE.dcm"):
        src = get_testdata_file(name)
        if src is not None:
            shutil.copy(src, folder / name)
            files[name] = folder / name
    from nibabel.testing import data_path

    shutil.copy(os.path.join(data_path, "anatomical.nii"), folder / "a.nii")
    files["nifti"] = folder / "a.nii"
    shutil.copy(os.path.join(data_path, "example4d.nii.gz"), folder / "b.nii.gz")
    files["nifti_gz"] = folder / "b.nii.gz"
    return files


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seed_files(tmp_path_factory.mktemp("fuzz_seeds"))


def _damaged(data, rng, kind):
    data = bytearray(data)
    if kind == "truncate":
        return bytes(data[: int(rng.integers(0, len(data)))])
    # flip bits, favouring the header where the structure lives
    for _ in range(int(rng.integers(1, 8))):
        pos = int(rng.integers(0, min(len(data), 1024))) if rng.random() < 0.7 else int(rng.integers(0, len(data)))
        data[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(data)


READERS = {
    "imread": ecvl.imread,
    "ImRead": ecvl.ImRead,
    "dicom_read": ecvl.dicom_read,
    "nifti_read": ecvl.nifti_read,
    "read_raster": ecvl.read_raster,
}


@pytest.mark.parametrize("kind", ["truncate", "flip"])
@pytest.mark.parametrize("fmt", ["png", "png16", "jpeg", "tiff", "MR_small.dcm", "MR_small_RLE.dcm", "nifti",
                                 "nifti_gz"])
def test_damaged_files_raise_clear_errors(seeds, tmp_path, fmt, kind):
    if fmt not in seeds:
        pytest.skip(f"{fmt} seed missing")
    src = seeds[fmt]
    data = src.read_bytes()
    rng = np.random.default_rng([ord(c) for c in fmt + kind])
    start = time.monotonic()
    for case in range(N_CASES):
        path = tmp_path / f"case{case}_{src.name}"
        path.write_bytes(_damaged(data, rng, kind))
        for name, reader in READERS.items():
            try:
                img = reader(path)
            except ecvl.ImageIOError as e:
                assert str(path) in str(e), f"{name}: error does not name the file: {e}"
                assert e.filename == str(path)
            else:
                assert isinstance(img, ecvl.Image) and not img.IsEmpty()
                np.asarray(img).sum()  # the data must be readable memory
    assert time.monotonic() - start < 60
