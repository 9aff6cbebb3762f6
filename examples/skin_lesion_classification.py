"""Skin-lesion classification with a ResNet or VGG from the zoo, as in the toolkit's use case.

Generates the built-in synthetic lesion dataset (three classes: nevus, melanoma, keratosis)
at a small size, trains ``eddl.zoo.resnet18`` (or a VGG) on prefetched, augmented batches
from ``DLDataset``, evaluates on the test split and writes ``skin_lesion_results.png``: the
confusion matrix beside test images captioned with their predicted class (``!`` marks a
wrong prediction).

Run: ``python examples/skin_lesion_classification.py [--model vgg16_bn] [--epochs 4]``
(about two minutes on two cores with the defaults).
"""

import argparse
import os
import tempfile
import time

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

import eddl
from bridge import DLDataset
from bridge.app.report import contact_sheet
from bridge.app.synth import generate_lesion_dataset
from ecvl.augment import AugmentationFactory, DatasetAugmentations
from eddl import zoo

TRAIN_AUGS = """
SequentialAugmentationContainer
    AugMirror p=0.5
    AugFlip p=0.5
    AugRotate angle=[-20,20]
End
"""

MODELS = {"resnet18": lambda shape, n: zoo.resnet18(shape, n),
          "vgg16_bn": lambda shape, n: zoo.vgg16_bn(shape, n, dense_units=128),
          "vgg16": lambda shape, n: zoo.vgg16(shape, n, dense_units=128)}


def run_split(net, loader, split, train, epoch=0):
    loader.SetSplit(split)
    loader.ResetBatch(shuffle=train, epoch=epoch)
    eddl.reset_loss(net)
    step = eddl.train_batch if train else eddl.eval_batch
    for x, y in loader:
        step(net, [x], [y])
    return eddl.get_losses(net)[0], eddl.get_metrics(net)[0]


def confusion_png(cm, classes, size=60):
    """The confusion matrix as a Pillow image (rows: true class, columns: predicted)."""
    n, pad = len(classes), 80
    img = PILImage.new("RGB", (pad + n * size, pad + n * size), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    top = max(int(cm.max()), 1)
    for i in range(n):
        draw.text((4, pad + i * size + size // 2), classes[i][:10], fill=(0, 0, 0))
        draw.text((pad + i * size + 4, pad - 14), classes[i][:9], fill=(0, 0, 0))
        for j in range(n):
            shade = int(255 - 200 * cm[i, j] / top)
            box = [pad + j * size, pad + i * size, pad + (j + 1) * size - 1, pad + (i + 1) * size - 1]
            draw.rectangle(box, fill=(shade, shade, 255), outline=(0, 0, 0))
            draw.text((box[0] + size // 2 - 6, box[1] + size // 2 - 6), str(int(cm[i, j])),
                      fill=(0, 0, 0))
    draw.text((4, 4), "true \\ predicted", fill=(0, 0, 0))
    return img


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet18")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--size", type=int, default=32, help="image side (multiple of 32)")
    ap.add_argument("--samples", type=int, nargs=3, default=[240, 60, 60],
                    metavar=("TRAIN", "VAL", "TEST"))
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--out", default=".", help="folder for skin_lesion_results.png")
    args = ap.parse_args(argv)
    t0 = time.time()
    eddl.set_seed(0)
    root = tempfile.mkdtemp(prefix="lesions_")
    paths = generate_lesion_dataset(root, *args.samples, seed=1, size=args.size)
    augs = DatasetAugmentations([AugmentationFactory.create(TRAIN_AUGS), None, None])
    data = DLDataset(paths["classification"], args.batch_size, augs, num_workers=2,
                     scale=1 / 255, seed=0)
    classes = list(data.classes_)
    net = MODELS[args.model](data.tensors_shape_[0][1:], len(classes))
    eddl.build(net, eddl.adam(0.001), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    for epoch in range(args.epochs):
        loss, acc = run_split(net, data, "training", True, epoch)
        _, val = run_split(net, data, "validation", False)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss:.3f} accuracy {acc:.3f}  "
              f"validation accuracy {val:.3f}", flush=True)

    data.SetSplit("test")
    data.ResetBatch()
    cm = np.zeros((len(classes), len(classes)), np.int64)
    thumbs, captions = [], []
    while data.current_batch_[data.current_split_] < data.GetNumBatches():
        _, x, y = data.GetBatch()
        pred = eddl.predict(net, [x])[0].numpy().argmax(1)
        truth = y.numpy().argmax(1)
        np.add.at(cm, (truth, pred), 1)
        for xi, p, t in zip(x.numpy(), pred, truth):
            if len(thumbs) < 16:
                thumbs.append((xi.transpose(1, 2, 0) * 255 + 0.5).clip(0, 255).astype(np.uint8))
                captions.append(classes[p] if p == t else f"!{classes[p]}")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    print(f"test accuracy {accuracy:.3f} (chance {1 / len(classes):.2f})")

    os.makedirs(args.out, exist_ok=True)
    sheet_path = os.path.join(args.out, "skin_lesion_samples.png")
    contact_sheet(thumbs, captions, sheet_path, columns=8)
    sheet = PILImage.open(sheet_path).convert("RGB")
    os.remove(sheet_path)
    matrix = confusion_png(cm, classes)
    result = PILImage.new("RGB", (matrix.width + sheet.width + 20,
                                  max(matrix.height, sheet.height) + 24), (255, 255, 255))
    result.paste(matrix, (0, 24))
    result.paste(sheet, (matrix.width + 20, 24))
    ImageDraw.Draw(result).text((4, 4), f"{args.model}, {args.epochs} epochs: test accuracy "
                                         f"{accuracy:.3f}", fill=(0, 0, 0))
    path = os.path.join(args.out, "skin_lesion_results.png")
    result.save(path)
    print(f"wrote {path} ({time.time() - t0:.0f}s)")
    return accuracy


if __name__ == "__main__":
    main()
