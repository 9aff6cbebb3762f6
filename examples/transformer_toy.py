"""A small Transformer encoder learns to reverse sequences of digits.

Each sample is ``LENGTH`` digits (ids 1-9); the target at position ``t`` is the digit at
position ``LENGTH - 1 - t``. The net embeds the ids, adds the sinusoidal positional
encodings, and runs encoder blocks (multi-head self-attention and a feed-forward layer, each
with a residual connection and layer normalization, as in "Attention is all you need") and a
softmax over the digits at every position. Attention solves the task by looking at the
mirrored position, which a model without positions could not find.

Run: ``python examples/transformer_toy.py [--epochs 8] [--blocks 1]``
"""

import argparse

import numpy as np

import eddl

VOCAB, LENGTH = 10, 8


def reversal_task(n, seed=0):
    """Return ids ``x`` ``[n, LENGTH]`` (floats 1-9) and one-hot targets ``[n, LENGTH, VOCAB]``."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, (n, LENGTH))
    y = np.eye(VOCAB, dtype=np.float32)[x[:, ::-1]]
    return x.astype(np.float32), y


def encoder_block(x, dim, heads, hidden, dropout=0.0):
    """Self-attention then a position-wise feed-forward layer, each ``LayerNorm(x + f(x))``."""
    att = eddl.MultiHeadAttention([x, x, x], dim, heads, dropout=dropout)
    x = eddl.LayerNormalization(eddl.Add(x, att), axis=1)
    ff = eddl.Dense(eddl.ReLu(eddl.Dense(x, hidden)), dim)
    return eddl.LayerNormalization(eddl.Add(x, ff), axis=1)


def build_net(dim=32, heads=4, hidden=64, blocks=1):
    """Return the encoder net, ids ``[LENGTH]`` to digit probabilities ``[LENGTH, VOCAB]``."""
    ids = eddl.Input([LENGTH])
    x = eddl.PositionalEncoding(eddl.Embedding(ids, VOCAB, LENGTH, dim))
    for _ in range(blocks):
        x = encoder_block(x, dim, heads, hidden)
    out = eddl.Softmax(eddl.Dense(x, VOCAB))
    return eddl.Model([ids], [out])


def main(epochs=8, n_train=2000, n_test=500, blocks=1, batch=50, verbose=2, seed=1):
    """Train and return ``(first epoch's loss, last epoch's loss, test accuracy per digit)``."""
    x_tr, y_tr = reversal_task(n_train, seed=0)
    x_ts, y_ts = reversal_task(n_test, seed=1)
    eddl.set_seed(seed)
    net = build_net(blocks=blocks)
    eddl.build(net, eddl.adam(0.005), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    losses = []
    for _ in range(epochs):
        eddl.fit(net, [x_tr], [y_tr], batch, 1, verbose=verbose)
        losses.append(eddl.get_losses(net)[0])
    pred = eddl.predict(net, [x_ts])[0]
    pred = pred.numpy() if hasattr(pred, "numpy") else np.asarray(pred)
    accuracy = float(np.mean(pred.argmax(-1) == y_ts.argmax(-1)))
    if verbose:
        print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, test accuracy per digit "
              f"{accuracy:.3f}")
    return losses[0], losses[-1], accuracy


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--blocks", type=int, default=1)
    args = ap.parse_args()
    main(epochs=args.epochs, blocks=args.blocks)
