"""Skin-lesion classification and segmentation with DLDataset, as in PyECVL's pipeline example.

Generates the synthetic lesion dataset into a temporary folder, trains a small CNN with the
fine-grained eddl API on prefetched, augmented batches, then a small U-Net for the masks and
writes prediction overlays.

Run: ``python examples/bridge_lesion_pipeline.py [--epochs 5] [--out lesion_overlays]``
"""

import argparse
import os
import tempfile
import time

import numpy as np

import eddl
from bridge import DLDataset
from bridge.app.models import small_cnn, small_unet
from bridge.app.report import overlay_png
from bridge.app.synth import generate_lesion_dataset
from ecvl.augment import AugmentationFactory, DatasetAugmentations

TRAIN_AUGS = """
SequentialAugmentationContainer
    AugMirror p=0.5
    AugFlip p=0.5
    AugRotate angle=[-30,30]
End
"""


def run_epochs(net, loader, epochs, what):
    for epoch in range(epochs):
        loader.SetSplit("training")
        loader.ResetBatch(shuffle=True, epoch=epoch)
        eddl.reset_loss(net)
        # time blocked waiting for the next batch: near zero when prefetching keeps ahead
        t0 = time.perf_counter()
        wait, batches = 0.0, iter(loader)
        while True:
            tw = time.perf_counter()
            try:
                x, y = next(batches)
            except StopIteration:
                break
            wait += time.perf_counter() - tw
            eddl.train_batch(net, [x], [y])
        epoch_s = time.perf_counter() - t0
        train = eddl.get_metrics(net)[0]
        loader.SetSplit("validation")
        loader.ResetBatch()
        eddl.reset_loss(net)
        for x, y in loader:
            eddl.eval_batch(net, [x], [y])
        print(f"{what} epoch {epoch + 1}: train {train:.3f}  validation "
              f"{eddl.get_metrics(net)[0]:.3f}  (loader wait {wait:.2f}s = "
              f"{100 * wait / epoch_s:.1f}% of the {epoch_s:.1f}s epoch)", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--samples", type=int, nargs=3, default=[240, 60, 30],
                    metavar=("TRAIN", "VAL", "TEST"))
    ap.add_argument("--size", type=int, default=32, help="image side (multiple of 8)")
    ap.add_argument("--out", default="lesion_overlays", help="folder for the overlay PNGs")
    args = ap.parse_args(argv)
    root = tempfile.mkdtemp(prefix="lesions_")
    paths = generate_lesion_dataset(root, *args.samples, size=args.size)
    augs = DatasetAugmentations([AugmentationFactory.create(TRAIN_AUGS), None, None])

    cls = DLDataset(paths["classification"], 16, augs, num_workers=2, scale=1 / 255)
    net = small_cnn(cls.tensors_shape_[0][1:], len(cls.classes_))
    eddl.build(net, eddl.adam(0.005), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    run_epochs(net, cls, args.epochs, "classification")

    seg = DLDataset(paths["segmentation"], 16, augs, num_workers=2, scale=1 / 255,
                    gt_scale=1 / 255, mask_values=[0, 1])
    unet = small_unet(seg.tensors_shape_[0][1:], 1)
    eddl.build(unet, eddl.adam(0.005), ["binary_cross_entropy"], ["dice"], eddl.CS_CPU())
    run_epochs(unet, seg, args.epochs, "segmentation")

    seg.SetSplit("test")
    seg.ResetBatch()
    samples, x, y = seg.GetBatch()
    pred = eddl.predict(unet, [x])[0].numpy()
    out = args.out
    os.makedirs(out, exist_ok=True)
    for k in range(len(samples)):
        rgb = (x.numpy()[k].transpose(1, 2, 0) * 255).astype(np.uint8)
        overlay_png(rgb, pred[k, 0] > 0.5, os.path.join(out, f"{k:02d}.png"),
                    gt_mask=y.numpy()[k, 0] > 0.5)
    print(f"wrote {len(samples)} overlays to {out}")


if __name__ == "__main__":
    main()
