"""Training and inference speed of the MNIST MLP: eddl vs PyTorch eager, same threads.

Network 784-1024-1024-1024-10 (ReLu, softmax + cross-entropy), SGD momentum 0.9, batch 100,
float32, synthetic data. For each thread count, repetitions of both frameworks alternate
(``--reps`` rounds of ``--batches`` training steps each) and the medians per batch are compared.
Predict throughput is the forward pass over ``--predict`` samples in batches of 100.

Run: ``python benchmarks/train_mlp.py [--threads 1 2] [--reps 7] [--batches 10]``
Prints a table and one JSON line.
"""

import argparse
import json
import platform
import statistics
import time

import numpy as np

import eddl

BATCH, SIZES = 100, (784, 1024, 1024, 1024, 10)


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], n)]
    return x, y


class Ours:
    name = "eddl"

    def __init__(self, x, y, threads):
        eddl.set_seed(0)
        in_ = eddl.Input([SIZES[0]])
        h = in_
        for n in SIZES[1:-1]:
            h = eddl.ReLu(eddl.Dense(h, n))
        out = eddl.Softmax(eddl.Dense(h, SIZES[-1]))
        self.net = eddl.Model([in_], [out])
        eddl.build(self.net, eddl.sgd(0.01, 0.9), ["soft_cross_entropy"], ["categorical_accuracy"],
                   eddl.CS_CPU(th=threads))   # kernel and BLAS threads
        self.x, self.y = x, y

    def train(self, batches):
        n = self.x.shape[0]
        for b in range(batches):
            s = (b * BATCH) % (n - BATCH + 1)
            self.net.train_batch([self.x], [self.y], np.arange(s, s + BATCH))

    def predict(self, x):
        return eddl.predict(self.net, [x], BATCH)


class Torch:
    name = "torch"

    def __init__(self, x, y, threads):
        import torch
        self.torch = torch
        torch.manual_seed(0)
        torch.set_num_threads(threads)
        layers = []
        for a, b in zip(SIZES[:-2], SIZES[1:-1]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        layers.append(torch.nn.Linear(SIZES[-2], SIZES[-1]))
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss = torch.nn.CrossEntropyLoss()   # softmax + cross-entropy, fused
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y.argmax(1))

    def train(self, batches):
        n = self.x.shape[0]
        for b in range(batches):
            s = (b * BATCH) % (n - BATCH + 1)
            idx = self.torch.arange(s, s + BATCH)
            xb, yb = self.x[idx], self.y[idx]
            self.opt.zero_grad(set_to_none=False)
            out = self.loss(self.model(xb), yb)
            out.backward()
            self.opt.step()
            out.item()   # eddl reads its loss every batch too

    def predict(self, x):
        with self.torch.no_grad():
            xt = self.torch.from_numpy(x)
            return [self.torch.softmax(self.model(xt[i:i + BATCH]), 1) for i in range(0, len(x), BATCH)]


def bench(threads, reps, batches, n_predict, clock=time.perf_counter):
    try:
        import torch
    except ImportError:
        torch = None
    x, y = make_data(2000)
    xp = make_data(n_predict, 1)[0]
    rows = []
    for th in threads:
        impls = [Ours(x, y, th)] + ([Torch(x, y, th)] if torch is not None else [])
        for m in impls:  # warm-up: buffers, BLAS pools, first-call costs
            m.train(3)
            m.predict(xp[:BATCH * 2])
        train = {m.name: [] for m in impls}
        pred = {m.name: [] for m in impls}
        for _ in range(reps):
            for m in impls:
                t = clock()
                m.train(batches)
                train[m.name].append((clock() - t) / batches)
                t = clock()
                m.predict(xp)
                pred[m.name].append(n_predict / (clock() - t))
        row = {"threads": th}
        for m in impls:
            ts = sorted(train[m.name])
            row[m.name] = {"ms_per_batch": 1e3 * statistics.median(ts),
                           "ms_spread": [1e3 * ts[0], 1e3 * ts[-1]],
                           "predict_samples_per_s": statistics.median(pred[m.name])}
        if torch is not None:
            row["ratio_train"] = row["eddl"]["ms_per_batch"] / row["torch"]["ms_per_batch"]
            row["ratio_predict_throughput"] = (row["eddl"]["predict_samples_per_s"]
                                               / row["torch"]["predict_samples_per_s"])
        rows.append(row)
    return rows, (torch.__version__ if torch is not None else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--predict", type=int, default=2000)
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process CPU clock (on a shared, overloaded machine; "
                         "meaningful at 1 thread only)")
    a = ap.parse_args()
    clock = time.process_time if a.cpu_time else time.perf_counter
    rows, tv = bench(a.threads, a.reps, a.batches, a.predict, clock)
    print(f"train_mlp: batch {BATCH}, {'-'.join(map(str, SIZES))}, SGD momentum, float32; "
          f"median of {a.reps} interleaved reps x {a.batches} batches"
          f"{' (process CPU time)' if a.cpu_time else ''}")
    print(f"{'threads':>7} | {'eddl ms/batch':>13} | {'torch ms/batch':>14} | {'ratio':>5} | "
          f"{'eddl pred/s':>11} | {'torch pred/s':>12} | {'ratio':>5}")
    for r in rows:
        e, t = r["eddl"], r.get("torch")
        if t is None:
            print(f"{r['threads']:>7} | {e['ms_per_batch']:>13.2f} | {'n/a':>14} |")
            continue
        print(f"{r['threads']:>7} | {e['ms_per_batch']:>13.2f} | {t['ms_per_batch']:>14.2f} | "
              f"{r['ratio_train']:>5.2f} | {e['predict_samples_per_s']:>11.0f} | "
              f"{t['predict_samples_per_s']:>12.0f} | {r['ratio_predict_throughput']:>5.2f}")
    print(json.dumps({"benchmark": "train_mlp", "clock": "cpu" if a.cpu_time else "wall",
                      "machine": platform.processor() or platform.machine(),
                      "numpy": np.__version__, "torch": tv, "rows": rows}))


if __name__ == "__main__":
    main()
