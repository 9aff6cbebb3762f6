"""Read the digits written in an image: a CNN encoder and a GRU decoder, trained with teacher
forcing and generating with beam search (the shape of UC5's report generation from an image,
and of PyEDDL's ``nlp_text_generation.py``).

Each image shows a string of 1 to 3 of scikit-learn's 8x8 digits side by side (blank where the
string is shorter). The CNN's features give the GRU its initial state; the decoder input,
marked with ``eddl.setDecoder``, receives the target shifted by one step during training. At
test time the same net generates the string with ``eddl.beam_search`` and the script prints
the exact-match accuracy (chance is below 1 %).

Tokens: 0 pads, ``1 + d`` is digit ``d``, 11 ends a string, 12 starts the decoder.

Run: ``python examples/image_to_text.py [--epochs 12] [--beam 3]``
"""

import argparse

import numpy as np

import eddl

MAX_DIGITS = 3
STEPS = MAX_DIGITS + 1           # the digits, then the end token
PAD, END, START = 0, 11, 12
VOCAB = 12                       # what the decoder predicts: padding, 10 digits, end


def digit_strings(n, seed=0, test=False):
    """Return ``images [n, 1, 8, 8 * MAX_DIGITS]`` and ``tokens [n, STEPS]`` (ints).

    Training strings use the first 1300 of scikit-learn's digit images, test strings the
    others, so test images show handwriting the net has not seen.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    pool = np.arange(1300, len(d.target)) if test else np.arange(1300)
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, 8, 8 * MAX_DIGITS), dtype=np.float32)
    tokens = np.full((n, STEPS), PAD, dtype=np.int64)
    for i in range(n):
        picks = rng.choice(pool, rng.integers(1, MAX_DIGITS + 1))
        for j, k in enumerate(picks):
            images[i, 0, :, 8 * j:8 * j + 8] = d.images[k] / 16.0
        tokens[i, :len(picks)] = 1 + d.target[picks]
        tokens[i, len(picks)] = END
    return images, tokens


def build_net(units=64, seed=1):
    """The CNN encoder, the GRU decoder and the net trained with teacher forcing."""
    eddl.set_seed(seed)
    img = eddl.Input([1, 8, 8 * MAX_DIGITS])
    x = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(img, 16, [3, 3])), [2, 2])
    x = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 32, [3, 3])), [2, 2])       # [32, 2, 6]
    states = eddl.Reshape(eddl.Tanh(eddl.Dense(eddl.Flatten(x), units)), [1, units])
    words = eddl.setDecoder(eddl.Input([STEPS]), start_token=START)
    emb = eddl.Embedding(words, VOCAB + 1, STEPS, 16)
    dec = eddl.GRU([emb, states], units, return_sequences=True)
    out = eddl.Softmax(eddl.Dense(dec, VOCAB))
    net = eddl.Model([img], [out])
    eddl.build(net, eddl.adam(0.003), ["sequence_cross_entropy"], ["token_accuracy"],
               eddl.CS_CPU())
    return net


def exact_match(generated, tokens):
    """Fraction of strings generated exactly (up to and including the end token)."""
    ok = [list(g[g >= 0]) == list(t[t != PAD]) for g, t in zip(generated, tokens)]
    return float(np.mean(ok))


def text(tokens):
    """The digits of a token sequence as a string."""
    return "".join(str(t - 1) for t in tokens if 1 <= t <= 10)


def save_readings(path, images, tokens, seqs, scores):
    """Write a PNG of a few test images with their true string and the beams found."""
    from matplotlib.figure import Figure

    from eddl.figures import save_figure

    n = len(images)
    fig = Figure(figsize=(2.2 * n, 2.0), layout="constrained")
    for i, ax in enumerate(fig.subplots(1, n, squeeze=False)[0]):
        ax.imshow(images[i, 0], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        beams = "\n".join(f"{text(s) or '(empty)'}  {sc:.2f}" for s, sc in zip(seqs[i], scores[i]))
        ax.set_title(f"true {text(tokens[i])}", fontsize=9)
        ax.set_xlabel(beams, fontsize=8)
    save_figure(fig, path)


def main(epochs=12, n_train=4000, n_test=500, beam=3, batch=50, verbose=1, seed=1, out=None):
    x_tr, t_tr = digit_strings(n_train, seed)
    x_ts, t_ts = digit_strings(n_test, seed + 1, test=True)
    net = build_net(seed=seed)
    eddl.fit(net, [x_tr], [t_tr.astype(np.float32)], batch, epochs, verbose=verbose)
    greedy, _ = eddl.greedy_decode(net, [x_ts], end_token=END)
    seqs, scores = eddl.beam_search(net, [x_ts], beam, end_token=END, length_penalty=0.0)
    result = {"greedy": exact_match(greedy, t_ts), "beam": exact_match(seqs[:, 0], t_ts)}
    if out:
        try:
            save_readings(out, x_ts[:6], t_ts[:6], seqs[:6], scores[:6])
        except ImportError:
            print(f"matplotlib is not installed: {out} not written")
    if verbose:
        for i in range(3):
            print(f"image {i}: true {text(t_ts[i])!r}, beams "
                  + ", ".join(f"{text(s)!r} ({sc:.2f})" for s, sc in zip(seqs[i], scores[i])))
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--beam", type=int, default=3)
    ap.add_argument("--out", default="image_to_text.png")
    args = ap.parse_args()
    res = main(args.epochs, beam=args.beam, out=args.out)
    print(f"exact match: greedy {res['greedy']:.3f}, beam search {res['beam']:.3f}")
