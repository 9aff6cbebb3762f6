"""The one-pass pixel export of the raster reader against Pillow's own array export."""

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl.io import raster


@pytest.mark.parametrize("mode,ext", [("L", "png"), ("RGB", "png"), ("RGBA", "png"),
                                      ("RGB", "jpg"), ("L", "jpg"), ("RGB", "bmp")])
@pytest.mark.parametrize("size", [(1, 1), (7, 3), (131, 67)])
def test_read_matches_pillow(tmp_path, mode, ext, size):
    rng = np.random.default_rng(size[0] * 7 + len(mode))
    c = len(mode)
    arr = rng.integers(0, 256, (size[1], size[0], c), dtype=np.uint8)
    path = tmp_path / f"a.{ext}"
    PILImage.fromarray(arr[..., 0] if c == 1 else arr, mode).save(path)
    with PILImage.open(path) as pil:
        ref = np.asarray(pil)
    ref = ref[..., None] if ref.ndim == 2 else ref
    img = ecvl.imread(path, ecvl.ImReadMode.UNCHANGED)
    assert img.canonical().shape == ref.shape and img.elemtype_ == ecvl.DataType.uint8
    np.testing.assert_array_equal(img.canonical(), ref)


def test_falls_back_when_the_encoder_interface_differs(tmp_path, monkeypatch):
    arr = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    path = tmp_path / "a.png"
    PILImage.fromarray(arr).save(path)

    real, calls = raster.PILImage._getencoder, []

    def broken_once(*args, **kwargs):  # the reader's own call fails, Pillow's later ones work
        calls.append(args)
        if len(calls) == 1:
            raise AttributeError("no such encoder interface")
        return real(*args, **kwargs)

    monkeypatch.setattr(raster.PILImage, "_getencoder", broken_once)
    np.testing.assert_array_equal(ecvl.imread(path).canonical(), arr)
    assert len(calls) == 2
