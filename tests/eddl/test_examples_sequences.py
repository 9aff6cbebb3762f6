"""The sequence examples: digits read row by row, padded synthetic reviews, a Transformer
encoder reversing digit sequences, and digit strings read from images."""

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_digit_rows_are_learned_by_an_lstm():
    pytest.importorskip("sklearn")
    mod = _load("digits_rnn")
    x_tr, y_tr, x_ts, _ = mod.load_digit_rows()
    assert x_tr.shape[1:] == (8, 8) and y_tr.shape[1] == 10 and len(x_tr) + len(x_ts) == 1797
    assert mod.main(epochs=6, verbose=0) > 0.85


def test_synthetic_reviews_are_padded_and_labelled_by_word_counts():
    mod = _load("sentiment_synthetic")
    x, y = mod.synthetic_reviews(50, seed=3)
    for ids, label in zip(x.astype(int), y[:, 0]):
        n = np.count_nonzero(ids)
        assert not ids[n:].any() and ids[:n].all()          # padding only at the end
        pos = np.isin(ids, list(mod.POSITIVE)).sum()
        neg = np.isin(ids, list(mod.NEGATIVE)).sum()
        assert label == float(pos > neg) and pos != neg


def test_masked_gru_learns_the_synthetic_reviews():
    mod = _load("sentiment_synthetic")
    assert mod.main(epochs=4, cell="GRU", n_train=800, n_test=300, verbose=0) > 0.85


def test_transformer_encoder_learns_to_reverse_digit_sequences():
    mod = _load("transformer_toy")
    x, y = mod.reversal_task(20, seed=2)
    assert x.shape == (20, mod.LENGTH) and y.shape == (20, mod.LENGTH, mod.VOCAB)
    assert x.min() >= 1 and x.max() < mod.VOCAB
    np.testing.assert_array_equal(y.argmax(-1), x[:, ::-1])
    first, last, accuracy = mod.main(epochs=4, n_test=200, verbose=0)
    assert last < 0.3 * first and accuracy > 0.8


def test_digit_strings_show_their_tokens():
    datasets = pytest.importorskip("sklearn.datasets")
    mod = _load("image_to_text")
    images, tokens = mod.digit_strings(30, seed=4, test=True)
    d = datasets.load_digits()
    test_pool = d.images[1300:] / 16.0
    for img, tok in zip(images[:, 0], tokens):
        n = int(np.argmax(tok == mod.END))
        assert 1 <= n <= mod.MAX_DIGITS and (tok[n + 1:] == mod.PAD).all()
        for j in range(mod.MAX_DIGITS):
            tile = img[:, 8 * j:8 * j + 8]
            if j >= n:
                assert not tile.any()
                continue
            # the tile is one of the held-out images of the digit its token names
            hits = np.nonzero((np.abs(test_pool - tile).reshape(len(test_pool), -1)
                               .max(axis=1)) < 1e-6)[0]
            assert hits.size and set(d.target[1300 + hits]) == {tok[j] - 1}


def test_image_to_text_learns_to_read_digit_strings(tmp_path):
    pytest.importorskip("sklearn")
    mod = _load("image_to_text")
    png = tmp_path / "readings.png" if importlib.util.find_spec("matplotlib") else None
    res = mod.main(epochs=5, n_train=1500, n_test=200, verbose=0, out=png and str(png))
    # chance is below 1 % (a string of 1 to 3 digits out of 1110)
    assert res["beam"] > 0.3 and res["greedy"] > 0.3
    if png is not None:
        assert png.read_bytes()[:4] == b"\x89PNG"
    maps = res["attention"]
    assert maps.shape == (5, mod.STEPS) + mod.GRID
    np.testing.assert_allclose(maps.sum(axis=(2, 3)), 1, rtol=1e-5)
    # the decoder looks at the digit it reads: at step j, the 2 feature columns of digit j
    # hold more weight than their share (1/3) on average
    _, tokens = mod.digit_strings(200, 2, test=True)
    mass = [maps[i, j][:, 2 * j:2 * j + 2].sum() for i in range(5)
            for j in range(int(np.argmax(tokens[i] == mod.END)))]
    assert np.mean(mass) > 0.45


def test_image_to_text_without_attention():
    pytest.importorskip("sklearn")
    mod = _load("image_to_text")
    res = mod.main(epochs=4, n_train=1500, n_test=200, attention=False, verbose=0)
    assert res["beam"] > 0.3 and res["attention"] is None
