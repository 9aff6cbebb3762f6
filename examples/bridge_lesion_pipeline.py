"""Skin-lesion classification and segmentation with DLDataset, as in PyECVL's pipeline example.

Generates the synthetic lesion dataset into a temporary folder, trains a small CNN with the
fine-grained eddl API on prefetched, augmented batches, then a small U-Net for the masks and
writes prediction overlays.

Run: ``python examples/bridge_lesion_pipeline.py [--epochs 5]``
"""

import argparse
import os
import tempfile

import numpy as np

import eddl
from bridge import DLDataset
from bridge.models import small_cnn, small_unet
from bridge.report import overlay_png
from bridge.synth import generate_lesion_dataset
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
        for x, y in loader:
            eddl.train_batch(net, [x], [y])
        train = eddl.get_metrics(net)[0]
        loader.SetSplit("validation")
        loader.ResetBatch()
        eddl.reset_loss(net)
        for x, y in loader:
            eddl.eval_batch(net, [x], [y])
        print(f"{what} epoch {epoch + 1}: train {train:.3f}  validation "
              f"{eddl.get_metrics(net)[0]:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="lesions_")
    paths = generate_lesion_dataset(root, 240, 60, 30, size=32)
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
    out = os.path.join(root, "overlays")
    os.makedirs(out)
    for k, smp in enumerate(samples):
        rgb = (x.numpy()[k].transpose(1, 2, 0) * 255).astype(np.uint8)
        overlay_png(rgb, pred[k, 0] > 0.5, os.path.join(out, f"{k:02d}.png"),
                    gt_mask=y.numpy()[k, 0] > 0.5)
    print(f"overlays written to {out}")


if __name__ == "__main__":
    main()
