"""Recurrent-layer speed: eddl vs PyTorch eager, each in its own process, same threads.

Workload (float32, synthetic data): sequences of 50 steps of 128 features, batch 64, one LSTM
or GRU layer of 256 units whose last state feeds a Dense layer of 10 classes (softmax +
cross-entropy), SGD. Two measures per layer: a training step (forward, backward, update) and
a forward pass alone.

Each framework runs in a separate process (``--side eddl`` / ``--side torch``), so neither's
thread pools or allocator touch the other's timings; the driver alternates the processes for
``--reps`` rounds, each timing ``--batches`` steps after a warm-up, and compares the medians
per batch (noise on a shared machine is high: the spread is reported). ``--torch-python``
names the interpreter with PyTorch when it is not the current one.

Run: ``python benchmarks/train_rnn.py [--layers lstm gru] [--threads 1 2] [--reps 5]
[--batches 5] [--torch-python PATH]``. Prints a table and one JSON line.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH, STEPS, FEATURES, UNITS, CLASSES = 64, 50, 128, 256, 10


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, BATCH)]
    return x, y


def eddl_side(layer, threads):
    """Return ``(train_step, forward)`` callables of the eddl net."""
    import eddl
    eddl.set_seed(0)
    x_in = eddl.Input([STEPS, FEATURES])
    rec = {"lstm": eddl.LSTM, "gru": eddl.GRU}[layer](x_in, UNITS)
    out = eddl.Softmax(eddl.Dense(rec, CLASSES))
    net = eddl.Model([x_in], [out])
    eddl.build(net, eddl.sgd(0.01), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(th=threads))
    x, y = _data()

    def train():
        net.train_batch([x], [y])

    def forward():
        net.set_inputs([x])
        net.forward()

    return train, forward


def torch_side(layer, threads):
    """Return ``(train_step, forward)`` callables of the PyTorch module."""
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rec = cls(FEATURES, UNITS, batch_first=True)
            self.fc = torch.nn.Linear(UNITS, CLASSES)

        def forward(self, x):
            return self.fc(self.rec(x)[0][:, -1])

    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = torch.nn.CrossEntropyLoss()
    x, y = _data()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.argmax(1))

    def train():
        opt.zero_grad(set_to_none=False)
        out = loss(model(xt), yt)
        out.backward()
        opt.step()
        out.item()  # eddl reads its loss every batch too

    def forward():
        with torch.no_grad():
            model(xt)

    return train, forward


def run_side(side, layer, threads, batches):
    """One timed round in this process: warm-up, then ``batches`` steps of each measure."""
    train, forward = (eddl_side if side == "eddl" else torch_side)(layer, threads)
    result = {}
    for name, fn in (("train", train), ("forward", forward)):
        fn()  # warm-up: buffers, pools, first-call costs
        fn()
        t = time.perf_counter()
        for _ in range(batches):
            fn()
        result[name] = (time.perf_counter() - t) / batches
    return result


def _spawn(python, side, layer, threads, batches):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [python, os.path.abspath(__file__), "--side", side, "--layers", layer,
           "--threads", str(threads), "--batches", str(batches)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(layer, threads, reps, batches, torch_python):
    times = {(s, m): [] for s in ("eddl", "torch") for m in ("train", "forward")}
    for _ in range(reps):
        for side, python in (("eddl", sys.executable), ("torch", torch_python)):
            r = _spawn(python, side, layer, threads, batches)
            for m, v in r.items():
                times[(side, m)].append(v)
    row = {"layer": layer, "threads": threads}
    for m in ("train", "forward"):
        med = {s: statistics.median(times[(s, m)]) for s in ("eddl", "torch")}
        row[m] = {"median_ms": {s: round(v * 1e3, 2) for s, v in med.items()},
                  "range_ms": {s: [round(min(times[(s, m)]) * 1e3, 2),
                                   round(max(times[(s, m)]) * 1e3, 2)] for s in med},
                  "ratio_vs_torch": round(med["eddl"] / med["torch"], 3)}
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", nargs="+", default=["lstm", "gru"], choices=["lstm", "gru"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--torch-python", default=sys.executable,
                    help="interpreter that has PyTorch (default: this one)")
    ap.add_argument("--side", choices=["eddl", "torch"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.side:  # a child process: one round, one JSON line
        print(json.dumps(run_side(a.side, a.layers[0], a.threads[0], a.batches)))
        return
    rows = [measure(layer, th, a.reps, a.batches, a.torch_python)
            for th in a.threads for layer in a.layers]
    print(f"train_rnn: batch {BATCH}, {STEPS} steps x {FEATURES} features, {UNITS} units, "
          f"last step -> Dense {CLASSES}, float32; median of {a.reps} alternating processes x "
          f"{a.batches} batches")
    print(f"{'layer':<6}{'thr':>4}{'measure':>9}{'eddl ms':>20}{'torch ms':>20}{'eddl/torch':>12}")
    for r in rows:
        for m in ("train", "forward"):
            d = r[m]
            cells = [f"{d['median_ms'][s]:.1f} [{d['range_ms'][s][0]:.0f}-"
                     f"{d['range_ms'][s][1]:.0f}]" for s in ("eddl", "torch")]
            print(f"{r['layer']:<6}{r['threads']:>4}{m:>9}{cells[0]:>20}{cells[1]:>20}"
                  f"{d['ratio_vs_torch']:>12.2f}")
    print(json.dumps({"benchmark": "train_rnn", "machine": platform.processor()
                      or platform.machine(), "results": rows}))


if __name__ == "__main__":
    main()
