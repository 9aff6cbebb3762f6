"""Train an MLP on scikit-learn's bundled 8x8 digits (1797 images) to >= 97% test accuracy.

Run: ``python examples/digits_mlp.py [--epochs 30]``
"""

import argparse

import numpy as np

import eddl


def load_digits_split(seed=0, test_fraction=0.25):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[d.target]
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


def main(epochs=30, batch=32, verbose=2, seed=1):
    x_tr, y_tr, x_ts, y_ts = load_digits_split()
    eddl.set_seed(seed)
    in_ = eddl.Input([64])
    layer = eddl.ReLu(eddl.Dense(in_, 128))
    layer = eddl.ReLu(eddl.Dense(layer, 64))
    out = eddl.Softmax(eddl.Dense(layer, 10))
    net = eddl.Model([in_], [out])
    eddl.build(net, eddl.adam(0.003), ["soft_cross_entropy"], ["categorical_accuracy"], eddl.CS_CPU())
    eddl.fit(net, [x_tr], [y_tr], batch, epochs, verbose=verbose)
    _, metrics = eddl.evaluate(net, [x_ts], [y_ts])
    return metrics[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    acc = main(args.epochs)
    print(f"test accuracy: {acc:.4f}")
