"""A small ResNet on scikit-learn's bundled 8x8 digits, upscaled to 16x16: >= 97% test accuracy.

The 1797 digit images are upscaled bilinearly so the network has room for three stages of
residual blocks (16, 32, 64 channels, BatchNormalization, identity and 1x1 projection
shortcuts) before global average pooling.

Run: ``python examples/digits_resnet.py [--epochs 5]``
"""

import argparse

import numpy as np

import eddl

SIZE = 16


def load_digits_upscaled(seed=0, test_fraction=0.25, size=SIZE):
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    d = load_digits()
    x = zoom(d.images / 16.0, (1, size / 8, size / 8), order=1)[:, None].astype(np.float32)
    y = np.eye(10, dtype=np.float32)[d.target]
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


def conv_bn(x, filters, stride=1, kernel=3, relu=True):
    x = eddl.BatchNormalization(eddl.Conv2D(x, filters, [kernel, kernel], [stride, stride],
                                            use_bias=False))
    return eddl.ReLu(x) if relu else x


def residual_block(x, filters, stride):
    y = conv_bn(conv_bn(x, filters, stride), filters, relu=False)
    shortcut = x if stride == 1 and x.shape[0] == filters else \
        conv_bn(x, filters, stride, kernel=1, relu=False)
    return eddl.ReLu(eddl.Add([y, shortcut]))


def small_resnet(num_classes=10, widths=(16, 32, 64)):
    in_ = eddl.Input([1, SIZE, SIZE])
    x = conv_bn(in_, widths[0])
    for stage, w in enumerate(widths):
        x = residual_block(x, w, 1 if stage == 0 else 2)
    x = eddl.Flatten(eddl.GlobalAveragePool2D(x))
    out = eddl.Softmax(eddl.Dense(x, num_classes))
    return eddl.Model([in_], [out])


def main(epochs=5, batch=32, verbose=1, seed=1, lr=0.003, decay=0.6):
    x_tr, y_tr, x_ts, y_ts = load_digits_upscaled()
    eddl.set_seed(seed)
    net = small_resnet()
    eddl.build(net, eddl.adam(lr), ["soft_cross_entropy"], ["categorical_accuracy"], eddl.CS_CPU())
    for epoch in range(epochs):
        # a decaying step keeps the last epochs from bouncing out of a good minimum
        eddl.setlr(net, [lr * decay ** epoch])
        eddl.fit(net, [x_tr], [y_tr], batch, 1, verbose=verbose)
    _, metrics = eddl.evaluate(net, [x_ts], [y_ts], verbose=verbose)
    return metrics[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    acc = main(args.epochs)
    print(f"test accuracy: {acc:.4f}")
