"""Read the digits written in an image: a CNN encoder and a GRU decoder with additive attention,
trained with teacher forcing and generating with beam search (the shape of UC5's report
generation from an image, and of PyEDDL's ``nlp_text_generation.py``).

Each image shows a string of 1 to 3 of scikit-learn's 8x8 digits side by side (blank where the
string is shorter). The CNN's features give the GRU its initial state, and at every step the
GRU's state attends over the CNN's 2 x 6 feature positions (``eddl.AdditiveAttention``); the
decoder input, marked with ``eddl.setDecoder``, receives the target shifted by one step during
training. At test time the same net generates the strings with ``eddl.beam_search``; the script
prints the exact-match accuracy (chance is below 1 %) and writes ``image_to_text.png``: test
images with the beams found, and where the decoder looked for each token it generated.

Tokens: 0 pads, ``1 + d`` is digit ``d``, 11 ends a string, 12 starts the decoder.

Run: ``python examples/image_to_text.py [--epochs 12] [--beam 3] [--no-attention]``
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


#: the CNN's feature grid: each position covers 4 x 4 pixels
GRID = (2, 2 * MAX_DIGITS)


def build_net(units=64, attention=True, seed=1):
    """Return the net trained with teacher forcing and its attention layer (or None).

    A CNN encoder, whose features start a GRU decoder; with ``attention``, the GRU's state at
    each step attends over the feature positions and the context joins it before the output.
    """
    eddl.set_seed(seed)
    img = eddl.Input([1, 8, 8 * MAX_DIGITS])
    x = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(img, 16, [3, 3])), [2, 2])
    x = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 32, [3, 3])), [2, 2])       # [32, 2, 6]
    states = eddl.Reshape(eddl.Tanh(eddl.Dense(eddl.Flatten(x), units)), [1, units])
    words = eddl.setDecoder(eddl.Input([STEPS]), start_token=START)
    emb = eddl.Embedding(words, VOCAB + 1, STEPS, 16)
    dec = eddl.GRU([emb, states], units, return_sequences=True)
    att = None
    if attention:
        positions = eddl.Permute(eddl.Reshape(x, [32, GRID[0] * GRID[1]]), [1, 0])  # [12, 32]
        att = eddl.AdditiveAttention([dec, positions], 32)                          # [T, 32]
        dec = eddl.Concat([dec, att], axis=1)
    out = eddl.Softmax(eddl.Dense(dec, VOCAB))
    net = eddl.Model([img], [out])
    eddl.build(net, eddl.adam(0.003), ["sequence_cross_entropy"], ["token_accuracy"],
               eddl.CS_CPU())
    return net, att


def attention_maps(net, att, images, seqs):
    """Return the attention weights ``[n, STEPS, 2, 6]`` behind the generated ``seqs``.

    The decoder is causal, so a teacher-forced pass over the generated tokens gives at step
    ``t`` the weights with which token ``t`` was generated.
    """
    net.set_mode(eddl.TSMODE)
    net.set_inputs([images])
    net.set_targets([np.where(seqs < 0, PAD, seqs).astype(np.float32)])
    net.forward()
    w = np.empty((len(images),) + att.parents[0].shape[:1] + att.parents[1].shape[:1],
                 dtype=np.float32)
    att.weights_into(w, True)
    return w.reshape(len(images), STEPS, *GRID)


def exact_match(generated, tokens):
    """Fraction of strings generated exactly (up to and including the end token)."""
    ok = [list(g[g >= 0]) == list(t[t != PAD]) for g, t in zip(generated, tokens)]
    return float(np.mean(ok))


def text(tokens):
    """The digits of a token sequence as a string."""
    return "".join(str(t - 1) for t in tokens if 1 <= t <= 10)


def _token_name(t):
    return "end" if t == END else str(t - 1)


def save_readings(path, images, tokens, seqs, scores, maps=None):
    """Write a PNG: per test image, its true string and the beams found (log-probabilities);
    with ``maps``, the attention of each generated token of the best beam over the image."""
    from matplotlib.figure import Figure

    from eddl.figures import save_figure

    n, cols = len(images), 1 + (STEPS if maps is not None else 0)
    fig = Figure(figsize=(2.2 * cols, 0.95 * n + 0.3), layout="constrained")
    axes = fig.subplots(n, cols, squeeze=False)
    for i in range(n):
        ax = axes[i, 0]
        ax.imshow(images[i, 0], cmap="gray_r")
        beams = "\n".join(f"{text(s) or '(empty)'}  {sc:.2f}" for s, sc in zip(seqs[i], scores[i]))
        ax.set_title(f"true {text(tokens[i])}", fontsize=9)
        ax.set_ylabel(beams, fontsize=7, rotation=0, ha="right", va="center")
        for t in range(1, cols):
            ax = axes[i, t]
            tok = seqs[i, 0, t - 1]
            if tok < 0:
                ax.axis("off")
                continue
            ax.imshow(images[i, 0], cmap="gray_r")
            # each feature position covers 4 x 4 pixels
            ax.imshow(np.kron(maps[i, t - 1], np.ones((4, 4))), cmap="inferno", alpha=0.55,
                      vmin=0, vmax=float(maps[i, t - 1].max()))
            ax.set_title(f"step {t}: {_token_name(tok)}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)


def main(epochs=12, n_train=4000, n_test=500, beam=3, batch=50, attention=True, verbose=1,
         seed=1, out=None):
    """Train, generate and report.

    Returns the exact-match accuracy of greedy decoding and beam search (keys ``"greedy"``,
    ``"beam"``) and the attention maps of the first 5 test images (``"attention"``, None
    without attention).
    """
    x_tr, t_tr = digit_strings(n_train, seed)
    x_ts, t_ts = digit_strings(n_test, seed + 1, test=True)
    net, att = build_net(attention=attention, seed=seed)
    eddl.fit(net, [x_tr], [t_tr.astype(np.float32)], batch, epochs, verbose=verbose)
    greedy, _ = eddl.greedy_decode(net, [x_ts], end_token=END)
    seqs, scores = eddl.beam_search(net, [x_ts], beam, end_token=END, length_penalty=0.0)
    result = {"greedy": exact_match(greedy, t_ts), "beam": exact_match(seqs[:, 0], t_ts)}
    shown = slice(0, 5)
    maps = None if att is None else attention_maps(net, att, x_ts[shown], seqs[shown, 0])
    result["attention"] = maps
    if out:
        try:
            save_readings(out, x_ts[shown], t_ts[shown], seqs[shown], scores[shown], maps)
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
    ap.add_argument("--no-attention", dest="attention", action="store_false")
    args = ap.parse_args()
    res = main(args.epochs, beam=args.beam, attention=args.attention, out=args.out)
    print(f"exact match: greedy {res['greedy']:.3f}, beam search {res['beam']:.3f}")
