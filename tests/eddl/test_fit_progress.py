"""fit's output: a tqdm bar per epoch on a terminal, only the epoch lines otherwise."""

import io
import re
import sys

import numpy as np
import pytest

import eddl
from eddl.model import progress

RNG = np.random.default_rng(9)
X = RNG.standard_normal((40, 3)).astype(np.float32)
Y = np.eye(2, dtype=np.float32)[(X[:, 0] > 0).astype(int)]

EPOCH_LINE = re.compile(r"^Epoch (\d)/2 \w+ \( loss\[cross_entropy\]=\d\.\d{4} "
                        r"metric\[accuracy\]=\d\.\d{4} \) -- \d+\.\d{3} secs \(\d+\.\d{4} secs/batch\)$")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def make():
    eddl.set_seed(2)
    i = eddl.Input([3])
    net = eddl.Model([i], [eddl.Softmax(eddl.Dense(i, 2))])
    eddl.build(net, eddl.sgd(0.1), ["cross_entropy"], ["accuracy"])
    return net


@pytest.mark.parametrize("verbose", [1, 2])
def test_redirected_output_gets_only_epoch_lines(capsys, verbose):
    eddl.fit(make(), [X], [Y], 16, 2, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert [EPOCH_LINE.match(l).group(1) for l in lines] == ["1", "2"]


def test_silent(capsys):
    eddl.fit(make(), [X], [Y], 16, 2, verbose=0, validation_data=(X, Y))
    assert capsys.readouterr() == ("", "")


def test_terminal_gets_a_bar_per_epoch(monkeypatch):
    pytest.importorskip("tqdm")
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    monkeypatch.setattr(progress, "MININTERVAL", 0.0)  # draw every batch
    eddl.fit(make(), [X], [Y], 16, 2, verbose=1, validation_data=(X[:8], Y[:8]))
    text = term.getvalue()
    # three batches an epoch (16, 16, 8), each bar drawn on one line with carriage returns
    for epoch in (1, 2):
        bar = [s for s in text.split("\r") if s.startswith(f"Epoch {epoch}/2:")]
        assert bar and any("3/3" in s for s in bar), bar
        assert any("loss[cross_entropy]=" in s for s in bar)
    final = [l for l in text.replace("\r", "\n").splitlines() if EPOCH_LINE.match(l)]
    assert [EPOCH_LINE.match(l).group(1) for l in final] == ["1", "2"]
    assert text.count("Validation ") == 2


def test_terminal_verbose_2_has_no_bar_and_the_log_file_no_bar_either(monkeypatch, tmp_path):
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    net = make()
    eddl.fit(net, [X], [Y], 16, 2, verbose=2)
    assert "\r" not in term.getvalue() and len(term.getvalue().splitlines()) == 2
    log = tmp_path / "train.log"
    net.logfile = str(log)
    eddl.fit(net, [X], [Y], 16, 2, verbose=1)
    lines = log.read_text().splitlines()
    assert [EPOCH_LINE.match(l).group(1) for l in lines] == ["1", "2"]
