"""Sentiment-style classification of padded word-id sequences, as PyEDDL's
``nlp_sentiment_rnn.py`` / ``nlp_sentiment_gru.py`` on IMDB, but on a synthetic vocabulary:
a review is positive when it holds more "positive" words than "negative" ones. Reviews have
different lengths and are padded at the end with id 0; ``mask_zeros`` makes the embedding give
zeros there and the recurrent layer keep its state over them.

Run: ``python examples/sentiment_synthetic.py [--epochs 10] [--cell GRU]``
"""

import argparse

import numpy as np

import eddl

VOCAB, LENGTH = 200, 24
#: ids 1-20 are positive words, 21-40 negative ones, the rest neutral
POSITIVE, NEGATIVE = range(1, 21), range(21, 41)


def synthetic_reviews(n, seed=0):
    """Return ``x`` ``[n, LENGTH]`` (ids, 0-padded at the end, as floats) and ``y`` ``[n, 1]``."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, LENGTH), np.float32)
    y = np.zeros((n, 1), np.float32)
    for k in range(n):
        length = rng.integers(6, LENGTH + 1)
        ids = rng.integers(41, VOCAB, length)
        n_pos, n_neg = rng.integers(0, 4, 2)
        while n_pos == n_neg:
            n_pos, n_neg = rng.integers(0, 4, 2)
        slots = rng.choice(length, n_pos + n_neg, replace=False)
        ids[slots[:n_pos]] = rng.choice(POSITIVE, n_pos)
        ids[slots[n_pos:]] = rng.choice(NEGATIVE, n_neg)
        x[k, :length] = ids
        y[k, 0] = float(n_pos > n_neg)
    return x, y


def main(epochs=10, cell="LSTM", n_train=2000, n_test=500, batch=32, verbose=2, seed=1):
    x_tr, y_tr = synthetic_reviews(n_train, seed=0)
    x_ts, y_ts = synthetic_reviews(n_test, seed=1)
    eddl.set_seed(seed)
    in_ = eddl.Input([LENGTH])
    emb = eddl.Embedding(in_, VOCAB, LENGTH, 16, mask_zeros=True)
    rec = getattr(eddl, cell)(emb, 32, mask_zeros=True)
    out = eddl.Sigmoid(eddl.Dense(rec, 1))
    net = eddl.Model([in_], [out])
    eddl.build(net, eddl.adam(0.005), ["binary_cross_entropy"], ["binary_accuracy"],
               eddl.CS_CPU())
    eddl.fit(net, [x_tr], [y_tr], batch, epochs, verbose=verbose)
    _, metrics = eddl.evaluate(net, [x_ts], [y_ts])
    return metrics[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--cell", choices=["LSTM", "GRU"], default="LSTM")
    args = ap.parse_args()
    acc = main(args.epochs, args.cell)
    print(f"test accuracy: {acc:.4f}")
