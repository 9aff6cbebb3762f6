"""3-D segmentation of synthetic volumes: label-balanced patches, early stopping, sliding windows.

The script writes a small DeepHealth dataset of NIfTI volumes (anisotropic voxels, 2 mm
slices of 1 x 1 mm pixels) holding bright and dark ellipsoids in noise, with their label maps
(0 background, 1 bright, 2 dark). A 3-D U-Net with linear outputs learns them with the Dice +
cross-entropy loss from patches that ``bridge.DLDataset`` cuts in its worker threads
(``bridge.patches.AugLabelPatch``: the patch centres are a third background, a third each
class), a new draw every epoch; fixed validation patches drive ``EarlyStopping``, which puts
back the best epoch's weights. The held-out volumes are then predicted whole with
``bridge.sliding.sliding_window_inference`` (Gaussian blending), scored with
``eddl.metrics.dice_per_class``, and the script writes ``segmentation_3d_curves.png``,
``segmentation_3d_dice.png`` and ``segmentation_3d_slices.png`` (a test volume's slices with
the prediction over them).

Run: ``python examples/segmentation_3d.py [--epochs 20] [--volumes 24 6 4] [--out .]``
"""

import argparse
import os
import tempfile
import time

import numpy as np

import eddl
from bridge import DLDataset
from bridge.patches import AugLabelPatch
from bridge.sliding import sliding_window_inference
from ecvl import ColorType
from ecvl.augment import DatasetAugmentations
from eddl.callbacks import EarlyStopping
from eddl.figures import save_class_scores, save_slice_sheet, save_training_curves
from eddl.metrics import dice_per_class

CLASSES = ["background", "bright", "dark"]
SPACING = (2.0, 1.0, 1.0)  # mm along D, H, W


def synthetic_volume(rng, shape):
    """``(D, H, W)`` float32 intensities and uint8 labels: ellipsoids round in millimetres."""
    zz, yy, xx = (np.arange(n, dtype=np.float32)[(slice(None),) + (None,) * (2 - k)] * sp
                  for k, (n, sp) in enumerate(zip(shape, SPACING)))
    extent = [n * sp for n, sp in zip(shape, SPACING)]
    labels = np.zeros(shape, np.uint8)
    for label in (1, 2, 1, 2):
        centre = [rng.uniform(0.25, 0.75) * e for e in extent]
        radii = [rng.uniform(0.12, 0.2) * min(extent) for _ in range(3)]
        inside = sum(((g - c) / r) ** 2 for g, c, r in zip((zz, yy, xx), centre, radii)) < 1
        labels[inside] = label
    vol = np.choose(labels, [0.0, 1.0, -1.0]).astype(np.float32)
    vol += rng.normal(0, 0.4, shape).astype(np.float32)
    return vol, labels


def write_dataset(root, counts, shape, seed=0):
    """NIfTI volumes and label maps plus the DDF file; returns its path and the test data."""
    import nibabel as nib

    rng = np.random.default_rng(seed)
    affine = np.diag([SPACING[2], SPACING[1], SPACING[0], 1.0])  # NIfTI axes are x, y, z
    lines, test = ["name: spheres_3d", "images:"], []
    n = sum(counts)
    for i in range(n):
        vol, lab = synthetic_volume(rng, shape)
        for name, a in ((f"vol{i:03d}.nii.gz", vol), (f"lab{i:03d}.nii.gz", lab)):
            nib.save(nib.Nifti1Image(np.ascontiguousarray(a.transpose(2, 1, 0)), affine),
                     os.path.join(root, name))
        lines += [f"  - location: vol{i:03d}.nii.gz", f"    label: lab{i:03d}.nii.gz"]
        if i >= counts[0] + counts[1]:
            test.append((vol, lab))
    splits = np.split(np.arange(n), np.cumsum(counts)[:2])
    lines.append("split:")
    for name, idx in zip(("training", "validation", "test"), splits):
        lines.append(f"  {name}: [{', '.join(map(str, idx))}]")
    path = os.path.join(root, "spheres_3d.yml")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path, test


def unet3d_logits(patch, n_classes, base):
    """Two-level 3-D U-Net with linear outputs (the Dice + cross-entropy loss takes logits)."""
    def block(x, filters):
        for _ in range(2):
            x = eddl.Conv3D(x, filters, [3, 3, 3], [1, 1, 1], "same", False)
            x = eddl.ReLu(eddl.BatchNormalization(x, True))
        return x

    inp = eddl.Input([1, *patch])
    e1 = block(inp, base)
    e2 = block(eddl.MaxPool3D(e1, [2, 2, 2], [2, 2, 2]), 2 * base)
    mid = block(eddl.MaxPool3D(e2, [2, 2, 2], [2, 2, 2]), 4 * base)
    d2 = block(eddl.Concat([eddl.ConvT3D(mid, 2 * base, [2, 2, 2], [2, 2, 2], "valid"), e2]),
               2 * base)
    d1 = block(eddl.Concat([eddl.ConvT3D(d2, base, [2, 2, 2], [2, 2, 2], "valid"), e1]), base)
    return eddl.Model([inp], [eddl.Conv3D(d1, n_classes, [1, 1, 1])], name="unet3d_logits")


def softmax_predictor(net):
    """Windows ``[b, 1, *patch]`` -> class probabilities ``[b, C, *patch]``."""
    def predict(windows):
        z = eddl.predict(net, [windows])[0].numpy()
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return predict


def batches(loader, split, epoch, shuffle):
    """The split's patches as ``[B, 1, D, H, W]`` inputs and one-hot ``[B, C, D, H, W]`` targets
    (``DLDataset`` serves a NIfTI volume's z axis as its channels)."""
    loader.SetSplit(split)
    loader.ResetBatch(shuffle=shuffle, epoch=epoch)
    eye = np.eye(len(CLASSES), dtype=np.float32)
    for x, y in loader:
        labels = np.rint(y.numpy()).astype(np.int64)
        yield x.numpy()[:, None], np.ascontiguousarray(np.moveaxis(eye[labels], -1, 1))


def foreground_dice(true, pred):
    return float(np.nanmean(dice_per_class(true, pred, len(CLASSES))[1:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--volumes", type=int, nargs=3, default=[24, 6, 4],
                    metavar=("TRAIN", "VAL", "TEST"))
    ap.add_argument("--size", type=int, nargs=3, default=[24, 48, 48], metavar=("D", "H", "W"),
                    help="volume size")
    ap.add_argument("--patch", type=int, nargs=3, default=[16, 24, 24], metavar=("D", "H", "W"),
                    help="patch and window size (multiples of 4)")
    ap.add_argument("--epochs", type=int, default=20, help="at most this many epochs")
    ap.add_argument("--patience", type=int, default=4, help="early stopping patience")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--base", type=int, default=8, help="filters of the U-Net's first level")
    ap.add_argument("--out", default=".", help="folder for the PNGs")
    args = ap.parse_args(argv)
    if any(p % 4 for p in args.patch) or any(p > s for p, s in zip(args.patch, args.size)):
        ap.error(f"--patch {args.patch} must be multiples of 4, no larger than --size {args.size}")
    t0 = time.time()
    eddl.set_seed(0)
    root = tempfile.mkdtemp(prefix="seg3d_")
    ddf, test = write_dataset(root, args.volumes, tuple(args.size))
    patch = tuple(args.patch)
    sampler = AugLabelPatch(size=list(reversed(patch)), labels=[0, 1, 2],
                            probabilities=[1, 1, 1])
    loader = DLDataset(ddf, args.batch, DatasetAugmentations([sampler, sampler, None]),
                       ColorType.none, ColorType.none, num_workers=2, seed=0)
    net = unet3d_logits(patch, len(CLASSES), args.base)
    eddl.build(net, eddl.adam(0.003), ["dice_ce"], ["mse"], eddl.CS_CPU())
    predict = softmax_predictor(net)

    stopper = EarlyStopping("val_loss", patience=args.patience, restore_best=True)
    stopper.set_model(net)
    net.stop_training = False
    stopper.on_train_begin({})
    history = []
    for epoch in range(args.epochs):
        eddl.reset_loss(net)
        for x, y in batches(loader, "training", epoch, True):
            eddl.train_batch(net, [x], [y])
        loss = eddl.get_losses(net)[0]
        eddl.reset_loss(net)
        true, pred = [], []
        # epoch 0's draw every time: the same validation patches each epoch
        for x, y in batches(loader, "validation", 0, False):
            eddl.eval_batch(net, [x], [y])
            true.append(y.argmax(axis=1))
            pred.append(predict(x).argmax(axis=1))
        logs = {"epoch": epoch + 1, "loss": loss, "val_loss": eddl.get_losses(net)[0],
                "val_metric": foreground_dice(np.concatenate(true), np.concatenate(pred))}
        history.append(logs)
        print(f"epoch {epoch + 1}: loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}  "
              f"validation Dice {logs['val_metric']:.3f}  ({time.time() - t0:.0f}s)", flush=True)
        stopper.on_epoch_end(epoch + 1, logs)
        if net.stop_training:
            print(f"early stop: best epoch {stopper.best_epoch}")
            break
    stopper.on_train_end(history[-1])

    per_volume, shown = [], None
    for vol, lab in test:
        prob = sliding_window_inference(vol[None, None], patch, predict, sw_batch_size=4,
                                        overlap=0.5, mode="gaussian")[0]
        seg = prob.argmax(axis=0)
        per_volume.append(dice_per_class(lab, seg, len(CLASSES)))
        shown = shown or (vol, seg)
    dice = np.nanmean(per_volume, axis=0)
    print("test Dice per class: " + ", ".join(f"{c} {d:.3f}" for c, d in zip(CLASSES, dice)))
    print(f"mean foreground Dice {np.nanmean(dice[1:]):.3f}")

    os.makedirs(args.out, exist_ok=True)
    name = os.path.join(args.out, "segmentation_3d")
    save_training_curves(history, name + "_curves.png", metric="metric",
                         metric_name="foreground Dice (validation patches)",
                         best_epoch=stopper.best_epoch)
    save_class_scores(dice, name + "_dice.png", class_names=CLASSES,
                      title=f"test Dice per class ({len(test)} volumes, sliding windows)")
    save_slice_sheet(shown[0], name + "_slices.png", n_slices=min(8, shown[0].shape[0]),
                     labels=shown[1], spacing=SPACING, class_names=CLASSES,
                     title="test volume: predicted labels")
    print(f"wrote {name}_curves.png, _dice.png and _slices.png ({time.time() - t0:.0f}s)")
    return dice


if __name__ == "__main__":
    main()
