"""deephealth-predict with sliding windows and test-time augmentation, against a brute-force
reference: every window of every transformed copy predicted alone by the run's network,
weights written out voxel by voxel, the transforms undone with NumPy."""

import csv
import itertools
import math

import nibabel as nib
import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
import eddl
from bridge.app.cli import predict_main
from bridge.app.experiment import resolve
from bridge.app.synth import make_lesion
from bridge.app.train import load_run_model, run_experiment
from bridge.tta import tta_transforms, windowed_predict
from bridge.volume import check_windows, predict_volume


@pytest.fixture(scope="module")
def seg_run(lesions, tmp_path_factory):
    out = tmp_path_factory.mktemp("seg_run")
    cfg = resolve(overrides={"dataset": lesions["segmentation"], "epochs": 2, "batch_size": 4,
                             "out": str(out), "workers": 1, "overlays": 0})
    run_experiment(cfg, verbose=False)
    return str(out)


def _starts(size, roi, overlap):
    step = max(int(roi * (1 - overlap)), 1)
    out, s = [], 0
    while s + roi < size:
        out.append(s)
        s += step
    return out + [max(size - roi, 0)]


def _weights(roi, blend):
    if blend == "constant":
        return np.ones(roi)
    w = np.empty(roi)
    for idx in itertools.product(*[range(r) for r in roi]):
        w[idx] = math.prod(math.exp(-((i - (r - 1) / 2) ** 2) / (2 * (r * 0.125) ** 2))
                           for i, r in zip(idx, roi))
    return np.maximum(w, max(w.min(), 1e-3))


def _brute_windows(net, x, roi, overlap, blend):
    """``x`` [C, *spatial] (at least the window's size): one window per eddl.predict call."""
    out = np.zeros((net.lout[0].shape[0],) + x.shape[1:])
    wsum = np.zeros(x.shape[1:])
    w = _weights(roi, blend)
    for st in itertools.product(*[_starts(s, r, overlap) for s, r in zip(x.shape[1:], roi)]):
        where = tuple(slice(s, s + r) for s, r in zip(st, roi))
        win = np.ascontiguousarray(x[(slice(None),) + where][None], np.float32)
        out[(slice(None),) + where] += eddl.predict(net, [win])[0].numpy()[0] * w
        wsum[where] += w
    return out / wsum


_NUMPY_TTA = {  # transform and its inverse on [C, *spatial], written with NumPy
    "identity": (lambda a: a, lambda a: a),
    "flip_h": (lambda a: a[..., ::-1], lambda a: a[..., ::-1]),
    "flip_v": (lambda a: a[..., ::-1, :], lambda a: a[..., ::-1, :]),
    "flip_d": (lambda a: a[..., ::-1, :, :], lambda a: a[..., ::-1, :, :]),
    "rot90": (lambda a: np.rot90(a, 1, (-2, -1)), lambda a: np.rot90(a, 3, (-2, -1))),
    "rot180": (lambda a: np.rot90(a, 2, (-2, -1)), lambda a: np.rot90(a, 2, (-2, -1))),
    "rot270": (lambda a: np.rot90(a, 3, (-2, -1)), lambda a: np.rot90(a, 1, (-2, -1))),
}


def _brute(net, x, roi, overlap, blend, names):
    outs = [_NUMPY_TTA[n][1](_brute_windows(net, _NUMPY_TTA[n][0](x), roi, overlap, blend))
            for n in names]
    return np.mean(outs, axis=0)


def _rows(path):
    with open(path) as f:
        return list(csv.reader(f))


def test_images_match_brute_force(seg_run, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rgb = []
    for k, (h, w) in enumerate([(23, 37), (16, 20)]):
        img, _ = make_lesion(np.random.default_rng(k), k % 3, size=40)
        top, left = (40 - h) // 2, (40 - w) // 2  # around the lesion
        rgb.append(img[top:top + h, left:left + w])
        PILImage.fromarray(rgb[-1]).save(folder / f"img{k}.png")
    _, net, _ = load_run_model(seg_run)
    for blend, tta, overlap in [("gaussian", "flips", 0.5), ("constant", "flips+rot90", 0.25)]:
        out = tmp_path / f"p_{blend}"
        assert predict_main([seg_run, str(folder), "--window", "16", "16", "--overlap",
                             str(overlap), "--blend", blend, "--tta", tta, "--batch-size", "3",
                             "--out", str(out)]) == 0
        rows = _rows(out / "predictions.csv")
        assert rows[0] == ["file", "lesion_fraction"] and len(rows) == 3
        for img, row in zip(rgb, rows[1:]):
            x = img.transpose(2, 0, 1) / np.float32(255)
            ref = _brute(net, x, (16, 16), overlap, blend, tta_transforms(tta, 2))[0] > 0.5
            assert 0 < ref.mean() < 1  # the threshold splits the image: a real comparison
            assert float(row[1]) == pytest.approx(ref.mean(), abs=1e-6)
        with PILImage.open(out / "img0_overlay.png") as o:
            assert o.size == (37, 23)  # predicted at the image's own size


def test_nifti_volume_matches_brute_force(seg_run, tmp_path):
    rng = np.random.default_rng(4)
    vol = np.stack([make_lesion(rng, z % 3, size=32)[0][3:24, 1:30, 0] for z in range(3)])
    src = tmp_path / "scan.nii.gz"
    nib.save(nib.Nifti1Image(vol.transpose(2, 1, 0).copy(), np.eye(4)), src)
    assert predict_main([seg_run, str(src), "--window", "16", "16", "--tta", "flips+rot90",
                         "--blend", "gaussian", "--out", str(tmp_path / "p")]) == 0
    _, net, _ = load_run_model(seg_run)
    names = tta_transforms("flips+rot90", 2)
    ref = np.stack([_brute(net, np.repeat(s[None] / 255.0, 3, 0), (16, 16), 0.25, "gaussian",
                           names)[0] > 0.5 for s in vol])
    got = nib.load(tmp_path / "p" / "scan_mask.nii.gz").get_fdata().transpose(2, 1, 0)
    assert got.shape == vol.shape and 0 < ref.mean() < 1
    np.testing.assert_array_equal(got, ref)
    rows = _rows(tmp_path / "p" / "predictions.csv")
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], ref.mean(axis=(1, 2)), atol=1e-6)


def _unet3d():
    eddl.set_seed(3)
    net = eddl.zoo.unet3d([1, 4, 8, 8], 2, depth=1, base_filters=2)
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["none"], eddl.CS_CPU())
    return net


def test_3d_network_slides_over_the_volume():
    net = _unet3d()
    vol = np.random.default_rng(5).integers(0, 256, (6, 11, 13)).astype(np.uint8)
    img = ecvl.Image.from_canonical(vol[..., None], "xyzc", ecvl.ColorType.GRAY)
    x = (vol / 255.0)[None]
    names = tta_transforms("flips", 3)
    assert names == ("identity", "flip_h", "flip_v", "flip_d")
    ref = _brute(net, x, (4, 8, 8), 0.5, "gaussian", names)
    got = windowed_predict(net, x[None], (4, 8, 8), 0.5, "gaussian", "flips", sw_batch_size=3)
    np.testing.assert_allclose(got[0], ref, rtol=1e-6, atol=1e-6)
    res = predict_volume(net, img, roi_size=(4, 8, 8), overlap=0.5, blend="gaussian",
                         tta="flips")
    assert res["per"] == "volume"
    np.testing.assert_array_equal(res["mask"], np.argmax(ref, axis=0))


def _pointwise(shape):
    """A network whose every output voxel depends on that input voxel only (1x1 convolution):
    equivariant to flips and rotations, and blind to where windows are."""
    eddl.set_seed(8)
    i = eddl.Input(list(shape))
    conv = eddl.Conv3D if len(shape) == 4 else eddl.Conv2D
    net = eddl.Model([i], [eddl.Sigmoid(conv(i, 2, [1] * (len(shape) - 1)))])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU())
    return net


def _per_voxel(net, x):
    """The pointwise network on every voxel of ``x`` [N, C, *spatial], voxels packed into
    whole network inputs in raster order: no windows, no transforms."""
    shape = tuple(net.lin[0].shape)
    c, per = shape[0], math.prod(shape[1:])
    flat = np.moveaxis(x, 1, -1).reshape(-1, c)
    n = -(-len(flat) // per)
    packed = np.zeros((n * per, c), np.float32)
    packed[:len(flat)] = flat
    tiles = np.ascontiguousarray(np.moveaxis(packed.reshape((n,) + shape[1:] + (c,)), -1, 1))
    y = eddl.predict(net, [tiles])[0].numpy()
    y = np.moveaxis(y, 1, -1).reshape(-1, y.shape[1])[:len(flat)]
    return np.moveaxis(y.reshape(x.shape[:1] + x.shape[2:] + (-1,)), -1, 1)


@pytest.mark.parametrize("shape,roi", [((2, 2, 17, 10), (8, 8)), ((1, 1, 5, 9, 7), (4, 4, 4))])
@pytest.mark.parametrize("blend", ["constant", "gaussian"])
def test_tta_inversion_is_exact_for_an_equivariant_network(shape, roi, blend):
    net = _pointwise((shape[1],) + roi)
    x = np.random.default_rng(9).random(shape).astype(np.float32)
    ref = _per_voxel(net, x)
    for tta in ("none", "flips", "flips+rot90"):
        got = windowed_predict(net, x, roi, 0.25, blend, tta)
        np.testing.assert_allclose(got, ref, rtol=0, atol=2e-7)
    # a transform left undone would show: the flipped prediction is far from the plain one
    assert np.abs(ref[..., ::-1] - ref).max() > 0.05


def test_tta_without_windows():
    """Whole inputs (resized to the network) go through the same transforms."""
    net = _pointwise((1, 6, 6))
    x = np.random.default_rng(2).random((3, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(windowed_predict(net, x, None, tta="flips+rot90"),
                               _per_voxel(net, x), atol=2e-7)


def test_bad_window_options(seg_run, lesions, tmp_path, capsys):
    images = str(tmp_path)
    PILImage.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    for argv, words in [(["--window", "16"], "--window takes H W or H W D"),
                        (["--window", "16", "0"], "--window takes H W or H W D"),
                        (["--window", "16", "16", "--overlap", "1"],
                         "--overlap must be in [0, 1)"),
                        (["--overlap", "0.5"], "--overlap and --blend need --window"),
                        (["--window", "16", "16", "--blend", "median"], "--blend"),
                        (["--tta", "rot"], "--tta")]:
        with pytest.raises(SystemExit):
            predict_main([seg_run, images, *argv])
        assert words in capsys.readouterr().err
    out = ["--out", str(tmp_path / "p")]
    assert predict_main([seg_run, images, "--window", "16", "16", "4", *out]) == 2
    assert "--window has 3 values (D=4 H=16 W=16) but the network takes 2-D inputs " \
           "(H=16 W=16)" in capsys.readouterr().err
    assert predict_main([seg_run, images, "--window", "12", "16", *out]) == 2
    assert "--window (H=12 W=16) must be the network's input size (H=16 W=16)" in \
        capsys.readouterr().err
    cls_out = tmp_path / "cls"
    run_experiment(resolve(overrides={"dataset": lesions["classification"], "epochs": 1,
                                      "batch_size": 4, "out": str(cls_out), "workers": 1}),
                   verbose=False)
    assert predict_main([str(cls_out), images, "--window", "16", "16", *out]) == 2
    assert "sliding windows need a segmentation network" in capsys.readouterr().err
    # classification with flips and rotations of its square inputs is fine
    assert predict_main([str(cls_out), images, "--tta", "flips+rot90", *out]) == 0
    with pytest.raises(ValueError, match="tta 'flips\\+rot90' rotates the input"):
        check_windows((3, 16, 20), (3,), None, "flips+rot90")
    with pytest.raises(ValueError, match="tta must be one of"):
        check_windows((3, 16, 16), (3,), None, "all")
    with pytest.raises(ValueError, match="roi_size: sliding windows need a segmentation"):
        windowed_predict(lambda b: b.mean((2, 3)), np.zeros((1, 1, 4, 4)), (2, 2),
                         task="classification")
    with pytest.raises(ValueError, match="tta must be one of"):
        tta_transforms("flip", 2)
