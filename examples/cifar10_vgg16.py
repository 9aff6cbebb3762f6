"""VGG16 on CIFAR10, the image-classification example of the EDDL D2.1 deliverable.

With ``--data DIR`` it reads the CIFAR10 binary batches (``data_batch_1.bin`` ...
``data_batch_5.bin`` and ``test_batch.bin`` from the "CIFAR-10 binary version" archive:
records of one label byte and 3072 pixel bytes, channels first); without it, it trains on
synthetic 32x32 images whose class sets a coloured pattern, so the script runs anywhere.

Run::

    python examples/cifar10_vgg16.py                       # synthetic, 1 short epoch
    python examples/cifar10_vgg16.py --data cifar-10-batches-bin --epochs 50 --samples 0
"""

import argparse
import os

import numpy as np

import eddl

NUM_CLASSES = 10
RECORD = 1 + 3 * 32 * 32


def read_cifar10_batches(files):
    """Images ``[N, 3, 32, 32]`` in [0, 1] and one-hot labels ``[N, 10]`` from binary batches."""
    xs, ys = [], []
    for f in files:
        raw = np.fromfile(f, dtype=np.uint8)
        if raw.size == 0 or raw.size % RECORD:
            raise ValueError(f"{f}: {raw.size} bytes is not a whole number of CIFAR10 records "
                             f"of {RECORD} bytes")
        raw = raw.reshape(-1, RECORD)
        if raw[:, 0].max() >= NUM_CLASSES:
            raise ValueError(f"{f}: label {raw[:, 0].max()} out of range [0, {NUM_CLASSES})")
        xs.append(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
        ys.append(np.eye(NUM_CLASSES, dtype=np.float32)[raw[:, 0]])
    return np.concatenate(xs), np.concatenate(ys)


def load_cifar10(folder):
    train = [os.path.join(folder, f"data_batch_{i}.bin") for i in range(1, 6)]
    test = [os.path.join(folder, "test_batch.bin")]
    missing = [f for f in train + test if not os.path.isfile(f)]
    if missing:
        raise FileNotFoundError(f"CIFAR10 binary batches not found: {missing}")
    return read_cifar10_batches(train) + read_cifar10_batches(test)


def synthetic_cifar10(n_train, n_test, seed=0):
    """Noisy images whose class picks a colour and the frequency of a stripe pattern."""
    rng = np.random.default_rng(seed)

    def make(n):
        labels = rng.integers(0, NUM_CLASSES, n)
        colour = rng.random((NUM_CLASSES, 3, 1, 1)).astype(np.float32)
        u = np.arange(32, dtype=np.float32)
        freq = (1 + labels % 5)[:, None, None, None]
        stripes = 0.5 + 0.5 * np.sin(2 * np.pi * freq * u[None, None, None, :] / 32)
        x = 0.5 * colour[labels] * stripes + 0.5 * rng.random((n, 3, 32, 32))
        return x.astype(np.float32), np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    return make(n_train) + make(n_test)


def block1(layer, filters):
    return eddl.ReLu(eddl.Conv(layer, filters, [1, 1], [1, 1]))


def block3_2(layer, filters):
    layer = eddl.ReLu(eddl.Conv(layer, filters, [3, 3], [1, 1]))
    return eddl.ReLu(eddl.Conv(layer, filters, [3, 3], [1, 1]))


def vgg16(augment=True):
    """The deliverable's VGG16 variant: 3x3 pairs, 1x1 convolutions in the deep stages."""
    in_ = eddl.Input([3, 32, 32])
    layer = in_
    if augment:
        layer = eddl.RandomCropScale(layer, [0.8, 1.0])
        layer = eddl.RandomFlip(layer, 1)
        layer = eddl.RandomCutout(layer, [0.1, 0.3], [0.1, 0.3])
    layer = eddl.MaxPool(block3_2(layer, 64))
    layer = eddl.MaxPool(block3_2(layer, 128))
    layer = eddl.MaxPool(block1(block3_2(layer, 256), 256))
    layer = eddl.MaxPool(block1(block3_2(layer, 512), 512))
    layer = eddl.MaxPool(block1(block3_2(layer, 512), 512))
    layer = eddl.Reshape(layer, [-1])
    layer = eddl.ReLu(eddl.Dense(layer, 512))
    out = eddl.Softmax(eddl.Dense(layer, NUM_CLASSES))
    return eddl.Model([in_], [out])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="folder with the CIFAR10 binary batches (synthetic data if absent)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--samples", type=int, default=200,
                    help="training samples to use (0: all); the test set is a quarter of it")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--threads", type=int, default=-1)
    args = ap.parse_args(argv)

    if args.data:
        x_tr, y_tr, x_ts, y_ts = load_cifar10(args.data)
    else:
        n = args.samples or 5000
        x_tr, y_tr, x_ts, y_ts = synthetic_cifar10(n, max(n // 4, args.batch_size))
    if args.samples:
        x_tr, y_tr = x_tr[:args.samples], y_tr[:args.samples]
        x_ts, y_ts = x_ts[:max(args.samples // 4, 1)], y_ts[:max(args.samples // 4, 1)]

    eddl.set_seed(1)
    net = vgg16(augment=not args.no_augment)
    eddl.build(net, eddl.sgd(args.lr, 0.9), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(th=args.threads))
    eddl.summary(net)
    for _ in range(args.epochs):
        eddl.fit(net, [x_tr], [y_tr], args.batch_size, 1)
        eddl.evaluate(net, [x_ts], [y_ts], bs=args.batch_size)
    return net


if __name__ == "__main__":
    main()
