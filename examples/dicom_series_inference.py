"""Lesion segmentation on a DICOM series: train on synthetic CT slices, predict a whole series.

Synthetic CT volumes (Hounsfield units: air, a soft-tissue body, one brighter spherical
lesion) train a small U-Net slice by slice under a soft-tissue window. A new volume is then
written as a DICOM series (one ``ecvl.DicomWrite`` file per slice, with patient positions),
read back as one volume with ``ecvl.dicom_read_series`` and segmented slice by slice with
``bridge.volume.predict_volume``. The result, ``dicom_series_inference.png``, shows every
slice with the predicted lesion in red and the true outline in green.

Run: ``python examples/dicom_series_inference.py [--epochs 8]``
"""

import argparse
import os
import tempfile
import time

import numpy as np
from PIL import Image as PILImage

import ecvl
import eddl
from bridge.app.models import small_unet
from bridge.app.report import contact_sheet
from bridge.volume import predict_volume, volume_to_unit
from ecvl.imgproc.draw import overlay_mask_array

WINDOW = (60.0, 400.0)  # soft-tissue window: centre, width (HU)


def synthetic_ct(rng, depth, size):
    """A ``(D, H, W)`` int16 CT volume and its boolean lesion mask."""
    zz, yy, xx = np.mgrid[0:depth, 0:size, 0:size].astype(np.float32)
    body = ((yy - size / 2) / (0.42 * size)) ** 2 + ((xx - size / 2) / (0.46 * size)) ** 2 < 1
    hu = np.where(body, 40.0, -1000.0) + rng.normal(0, 12, body.shape)
    c = [rng.uniform(0.3, 0.7) * depth, rng.uniform(0.35, 0.65) * size,
         rng.uniform(0.35, 0.65) * size]
    r = rng.uniform(0.1, 0.18) * size
    lesion = ((zz - c[0]) * 2.0) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 < r * r
    hu[lesion & body] += 110.0
    return hu.astype(np.int16), lesion & body


def write_series(folder, hu, spacing=(0.8, 0.8, 2.5)):
    """One DICOM file per slice, with ImagePositionPatient along z."""
    os.makedirs(folder, exist_ok=True)
    for z, plane in enumerate(hu):
        meta = {"ImagePositionPatient": [0.0, 0.0, z * spacing[2]],
                "ImageOrientationPatient": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                "InstanceNumber": z + 1, "WindowCenter": WINDOW[0], "WindowWidth": WINDOW[1],
                "Modality": "CT"}
        img = ecvl.Image.from_canonical(np.ascontiguousarray(plane[..., None]), "xyc",
                                        ecvl.ColorType.GRAY, [spacing[0], spacing[1], 1.0], meta)
        ecvl.DicomWrite(os.path.join(folder, f"slice_{z:03d}.dcm"), img)


def training_slices(rng, volumes, depth, size):
    xs, ys = [], []
    for _ in range(volumes):
        hu, mask = synthetic_ct(rng, depth, size)
        vol = ecvl.Image.from_canonical(hu[..., None], "xyzc", ecvl.ColorType.GRAY)
        xs.append(volume_to_unit(vol, WINDOW).transpose(0, 3, 1, 2))
        ys.append(mask[:, None].astype(np.float32))
    return np.concatenate(xs), np.concatenate(ys)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--size", type=int, default=48, help="slice side (multiple of 4)")
    ap.add_argument("--depth", type=int, default=16, help="slices per volume")
    ap.add_argument("--volumes", type=int, default=8, help="training volumes")
    ap.add_argument("--out", default=".", help="folder for dicom_series_inference.png")
    args = ap.parse_args(argv)
    t0 = time.time()
    rng = np.random.default_rng(0)
    eddl.set_seed(0)
    x, y = training_slices(rng, args.volumes, args.depth, args.size)
    net = small_unet([1, args.size, args.size], 1)
    eddl.build(net, eddl.adam(0.01), ["binary_cross_entropy"], ["dice"], eddl.CS_CPU())
    eddl.fit(net, [x], [y], 16, args.epochs, verbose=0)
    print(f"trained on {len(x)} slices, dice {eddl.get_metrics(net)[0]:.3f}", flush=True)

    hu, truth = synthetic_ct(rng, args.depth, args.size)
    series = os.path.join(tempfile.mkdtemp(prefix="series_"), "ct")
    write_series(series, hu)
    vol = ecvl.dicom_read_series(series)
    print(f"read {series}: {vol.dims_} ({vol.channels_}), spacings {vol.spacings_}")
    res = predict_volume(net, vol)  # the series' own WindowCenter/Width set the intensities
    mask = res["mask"].astype(bool)
    dice = 2 * (mask & truth).sum() / max(mask.sum() + truth.sum(), 1)
    print(f"series dice {dice:.3f}; lesion voxels predicted {mask.sum()}, true {truth.sum()}")

    pictures, captions = [], []
    for z in range(args.depth):
        gray = (res["unit"][z, ..., 0] * 255 + 0.5).astype(np.uint8)
        rgb = overlay_mask_array(np.repeat(gray[..., None], 3, 2), mask[z].astype(np.uint8),
                                 color=(255, 0, 0), alpha=0.45).copy()
        t = truth[z]
        edge = t & ~(np.roll(t, 1, 0) & np.roll(t, -1, 0) & np.roll(t, 1, 1) & np.roll(t, -1, 1))
        rgb[edge] = (0, 255, 0)
        pictures.append(rgb)
        captions.append(f"z{z}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "dicom_series_inference.png")
    contact_sheet(pictures, captions, path, columns=8)
    print(f"wrote {path} ({time.time() - t0:.0f}s)")
    PILImage.open(path).verify()
    return dice


if __name__ == "__main__":
    main()
