"""Training and inference speed and memory of the MNIST MLP: eddl vs PyTorch eager, same threads.

Network 784-1024-1024-1024-10 (ReLu, softmax + cross-entropy), SGD momentum 0.9, batch 100,
float32, synthetic data. Each framework runs in its own process under its own default
environment (see ``benchmarks/procs.py``): for each thread count, ``--reps`` rounds alternate
one fresh process per framework, each timing ``--batches`` training steps and a prediction
after a warm-up, and the medians (and min-max) per batch are compared, with each process's
peak resident memory. Predict throughput is the forward pass over ``--predict`` samples in
batches of 100.

Run: ``python benchmarks/train_mlp.py [--threads 1 2] [--reps 7] [--batches 10]
[--frameworks eddl torch]``. Prints a table and one JSON line.
"""

import argparse
import json
import platform
import time

import numpy as np
import procs  # before any toolkit import: it keeps the environment from before it

BATCH, SIZES = 100, (784, 1024, 1024, 1024, 10)
FRAMEWORKS = ("eddl", "torch")



def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], n)]
    return x, y


class Ours:
    name = "eddl"

    def __init__(self, x, y, threads):
        import eddl

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
        import eddl

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


def run_one(framework, threads, batches, n_predict, cpu_time):
    """One round of ``framework`` in this process: ms per training batch, predictions per s."""
    clock = time.process_time if cpu_time else time.perf_counter
    x, y = make_data(2000)
    xp = make_data(n_predict, 1)[0]
    m = (Ours if framework == "eddl" else Torch)(x, y, threads)
    m.train(3)  # warm-up: buffers, BLAS pools, first-call costs
    m.predict(xp[:BATCH * 2])
    t = clock()
    m.train(batches)
    train_ms = 1e3 * (clock() - t) / batches
    t = clock()
    m.predict(xp)
    out = {"ms_per_batch": train_ms, "predict_samples_per_s": n_predict / (clock() - t)}
    if framework == "torch":
        out["version"] = m.torch.__version__
    return out


RUNNERS = {fw: (lambda fw: lambda **kw: run_one(fw, **kw))(fw) for fw in FRAMEWORKS}


def bench(threads, reps, batches, n_predict, cpu_time=False, frameworks=FRAMEWORKS):
    """Alternated rounds of one process per framework for each thread count; one row each."""
    rows, version = [], None
    for th in threads:
        res = procs.compare(__file__, frameworks, {"threads": th, "batches": batches,
                                                   "n_predict": n_predict, "cpu_time": cpu_time},
                            reps, f"the MLP, {th} thread(s)")
        row = {"threads": th}
        for fw, r in res.items():
            row[fw] = {"ms_per_batch": r["ms_per_batch"]["median"],
                       "ms_spread": [r["ms_per_batch"]["min"], r["ms_per_batch"]["max"]],
                       "predict_samples_per_s": r["predict_samples_per_s"]["median"],
                       "predict_spread": [r["predict_samples_per_s"]["min"],
                                          r["predict_samples_per_s"]["max"]],
                       "rss_mib": r["rss_mib"]["median"]}
            version = r.get("version", version)
        if "torch" in res:
            row["ratio_train"] = row["eddl"]["ms_per_batch"] / row["torch"]["ms_per_batch"]
            row["ratio_predict_throughput"] = (row["eddl"]["predict_samples_per_s"]
                                               / row["torch"]["predict_samples_per_s"])
            row["ratio_rss"] = row["eddl"]["rss_mib"] / row["torch"]["rss_mib"]
        rows.append(row)
    return rows, version


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--predict", type=int, default=2000)
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process CPU clock (on a shared, overloaded machine; "
                         "meaningful at 1 thread only)")
    procs.add_arguments(ap, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    a = ap.parse_args()
    frameworks = procs.pick_frameworks(a.frameworks, FRAMEWORKS, {})
    if "eddl" not in frameworks:
        raise SystemExit("train_mlp compares against eddl: include it in --frameworks")
    rows, tv = bench(a.threads, a.reps, a.batches, a.predict, a.cpu_time, frameworks)
    print(f"train_mlp: batch {BATCH}, {'-'.join(map(str, SIZES))}, SGD momentum, float32; "
          f"one process per framework and round, median of {a.reps} alternated rounds x "
          f"{a.batches} batches{' (process CPU time)' if a.cpu_time else ''}; peak RSS MiB")
    print(f"{'threads':>7} | {'eddl ms/batch':>21} | {'torch ms/batch':>21} | {'ratio':>5} | "
          f"{'eddl pred/s':>11} | {'torch pred/s':>12} | {'ratio':>5} | {'eddl MiB':>8} | "
          f"{'torch MiB':>9} | {'ratio':>5}")

    def ms(d):
        return f"{d['ms_per_batch']:.2f} ({d['ms_spread'][0]:.1f}-{d['ms_spread'][1]:.1f})"
    for r in rows:
        e, t = r["eddl"], r.get("torch")
        if t is None:
            print(f"{r['threads']:>7} | {ms(e):>21} | {'n/a':>21} | {'':>5} | "
                  f"{e['predict_samples_per_s']:>11.0f} | {'n/a':>12} | {'':>5} | "
                  f"{e['rss_mib']:>8.0f} | {'n/a':>9} |")
            continue
        print(f"{r['threads']:>7} | {ms(e):>21} | {ms(t):>21} | "
              f"{r['ratio_train']:>5.2f} | {e['predict_samples_per_s']:>11.0f} | "
              f"{t['predict_samples_per_s']:>12.0f} | {r['ratio_predict_throughput']:>5.2f} | "
              f"{e['rss_mib']:>8.0f} | {t['rss_mib']:>9.0f} | {r['ratio_rss']:>5.2f}")
    print(json.dumps({"benchmark": "train_mlp", "clock": "cpu" if a.cpu_time else "wall",
                      "machine": platform.processor() or platform.machine(),
                      "numpy": np.__version__, "torch": tv, "rows": rows}))


if __name__ == "__main__":
    main()
