"""Read scikit-learn's 8x8 digits row by row with an LSTM (or GRU): each image is a sequence of
8 rows of 8 pixels, as PyEDDL's ``mnist_rnn.py`` reads MNIST's 28 rows.

Run: ``python examples/digits_rnn.py [--epochs 20] [--cell GRU] [--bidirectional]``
"""

import argparse

import numpy as np

import eddl


def load_digit_rows(seed=0, test_fraction=0.25):
    """Return ``x_train, y_train, x_test, y_test``: ``x`` of shape ``[N, 8, 8]`` (rows first)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[d.target]
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


def main(epochs=20, cell="LSTM", bidirectional=False, units=32, batch=32, verbose=2, seed=1):
    x_tr, y_tr, x_ts, y_ts = load_digit_rows()
    eddl.set_seed(seed)
    in_ = eddl.Input([8, 8])
    rec = getattr(eddl, cell)(in_, units, bidirectional=bidirectional)
    out = eddl.Softmax(eddl.Dense(rec, 10))
    net = eddl.Model([in_], [out])
    eddl.build(net, eddl.adam(0.01), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    eddl.fit(net, [x_tr], [y_tr], batch, epochs, verbose=verbose)
    _, metrics = eddl.evaluate(net, [x_ts], [y_ts])
    return metrics[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--cell", choices=["RNN", "LSTM", "GRU"], default="LSTM")
    ap.add_argument("--bidirectional", action="store_true")
    args = ap.parse_args()
    acc = main(args.epochs, args.cell, args.bidirectional)
    print(f"test accuracy: {acc:.4f}")
