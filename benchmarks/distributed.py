"""Distributed training over MPI: MLP throughput with 1 and N ranks, time spent communicating,
and the scaling model of docs/distributed.md.

Measure (one process per rank, one thread each)::

    mpiexec -n 2 python benchmarks/distributed.py [--batch 100] [--reps 7] [--batches 10]
                                                   [--mode gradients|weights] [--batch-avg 4]

Every rank builds the MNIST MLP of ``train_mlp.py`` twice: on ``CS_CPU(th=1)`` alone (the
one-rank step, timed while the other ranks compute too, so both see the same contention) and
on ``CS_MPI(CS_CPU(th=1))``. Repetitions of ``--batches`` steps alternate between the two and
the medians are compared: throughput of one rank (batch / local step) against the job's
(ranks x batch / distributed step), the time per step blocked in communication, and the
additive model's prediction (local step + one measured Allreduce of the gradients' bytes).

Scaling model only (no MPI needed)::

    python benchmarks/distributed.py --model

prints the ring-allreduce time per step and predicted speed-ups for 2-64 nodes on 10 and
100 Gb/s networks. Prints a table and one JSON line.
"""

import argparse
import json
import platform
import statistics
import time

import numpy as np

import eddl
from eddl.distributed.comm import allreduce_sum

SIZES = (784, 1024, 1024, 1024, 10)

# parameters of the networks of the scaling model; MLP step time per rank (1 thread, batch 100)
# from docs/benchmarks.md (train_mlp, reference machine)
MODELS = {"MLP": 2_913_290, "ResNet-50": 25_557_032, "U-Net": 31_000_000}
MLP_STEP_S = 0.0264
# (bandwidth in Gb/s, latency per message in seconds): typical TCP Ethernet and RDMA figures
NETWORKS = {"10 Gb/s": (10, 20e-6), "100 Gb/s": (100, 5e-6)}
NODES = (2, 4, 8, 16, 32, 64)


def ring_allreduce_seconds(nbytes, p, gbits, latency):
    """Ring allreduce of ``nbytes`` over ``p`` nodes: 2(p-1)/p x bytes / bandwidth + 2(p-1) hops."""
    if p == 1:
        return 0.0
    return 2 * (p - 1) / p * nbytes / (gbits * 1e9 / 8) + 2 * (p - 1) * latency


def speedup(compute_s, comm_s, p, every=1):
    """p x compute / (compute + comm / every): no overlap (an upper bound on the step time)."""
    return p * compute_s / (compute_s + comm_s / every)


def print_model():
    rows = []
    print("Allreduce ms per step (float32 gradients), ring model:")
    print("| model | params | network | " + " | ".join(f"p={p}" for p in NODES) + " |")
    print("|---|---|---|" + "---|" * len(NODES))
    for name, n in MODELS.items():
        for net, (gb, lat) in NETWORKS.items():
            ts = [ring_allreduce_seconds(4 * n, p, gb, lat) for p in NODES]
            rows.append({"model": name, "network": net, "allreduce_ms": [1e3 * t for t in ts]})
            print(f"| {name} | {n / 1e6:.1f} M | {net} | "
                  + " | ".join(f"{1e3 * t:.1f}" for t in ts) + " |")
    print(f"\nPredicted speed-up of the MLP (compute {1e3 * MLP_STEP_S:.1f} ms per step and rank):")
    print("| network | mode | " + " | ".join(f"p={p}" for p in NODES) + " |")
    print("|---|---|" + "---|" * len(NODES))
    for net, (gb, lat) in NETWORKS.items():
        for mode, every in (("gradients", 1), ("weights, N=10", 10)):
            s = [speedup(MLP_STEP_S, ring_allreduce_seconds(4 * MODELS["MLP"], p, gb, lat), p, every)
                 for p in NODES]
            print(f"| {net} | {mode} | " + " | ".join(f"{v:.1f}" for v in s) + " |")
    print("\nCompute time per step and rank for 90 % efficiency at p=64 (compute >= 9 x comm):")
    print("| model | network | gradients | weights, N=10 |")
    print("|---|---|---|---|")
    for name, n in MODELS.items():
        for net, (gb, lat) in NETWORKS.items():
            t = ring_allreduce_seconds(4 * n, 64, gb, lat)
            print(f"| {name} | {net} | {9e3 * t:.0f} ms | {9e2 * t:.0f} ms |")
    print(json.dumps({"benchmark": "distributed_model", "rows": rows}))


def _mlp(cs, batch):
    eddl.set_seed(0)
    x = eddl.Input([SIZES[0]])
    h = x
    for n in SIZES[1:-1]:
        h = eddl.ReLu(eddl.Dense(h, n))
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, SIZES[-1]))])
    eddl.build(net, eddl.sgd(0.01, 0.9), ["soft_cross_entropy"], ["categorical_accuracy"], cs)
    return net


def _time_steps(net, x, y, batch, batches):
    eddl.barrier_distributed()
    t0 = time.perf_counter()
    for b in range(batches):
        s = (b * batch) % (x.shape[0] - batch + 1)
        net.train_batch([x], [y], np.arange(s, s + batch))
    return (time.perf_counter() - t0) / batches


def measure(a):
    eddl.init_distributed()
    p, rank = eddl.get_world_size(), eddl.get_rank()
    rng = np.random.default_rng(rank)
    x = rng.random((4 * a.batch, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], 4 * a.batch)]
    local = _mlp(eddl.CS_CPU(th=1), a.batch)
    dist = _mlp(eddl.CS_MPI(eddl.CS_CPU(th=1), mode=a.mode, batch_avg=a.batch_avg), a.batch)
    nparams = sum(p_.size for ps in dist.get_parameters() for p_ in ps)
    tl, td, tc = [], [], []
    for _ in range(a.reps):
        tl.append(_time_steps(local, x, y, a.batch, a.batches))
        before = dist._sync.comm_seconds
        td.append(_time_steps(dist, x, y, a.batch, a.batches))
        tc.append((dist._sync.comm_seconds - before) / a.batches)
    # one Allreduce of the gradients' bytes alone: the additive model's communication term
    buf, ta = np.ones(nparams, np.float32), []
    if p > 1:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        for _ in range(a.reps):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            ta.append(time.perf_counter() - t0)
    med = {k: float(allreduce_sum([statistics.median(v)])[0]) / p  # mean over the ranks
           for k, v in (("local", tl), ("dist", td), ("comm", tc), ("allreduce", ta or [0.0]))}
    if rank != 0:
        return
    every = a.batch_avg if a.mode == "weights" else 1
    predicted = med["local"] + med["allreduce"] / every
    print(f"MLP {SIZES}, batch {a.batch} per rank, {p} rank(s), mode {a.mode}"
          f"{f' every {every}' if every > 1 else ''}; medians of {a.reps} x {a.batches} steps "
          f"(mean over ranks)")
    print("| ranks | one-rank ms/step | distributed ms/step | blocked in comm ms/step | "
          "Allreduce ms | predicted ms/step | samples/s one rank | samples/s job | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {p} | {1e3 * med['local']:.2f} | {1e3 * med['dist']:.2f} | {1e3 * med['comm']:.2f} | "
          f"{1e3 * med['allreduce']:.2f} | {1e3 * predicted:.2f} | {a.batch / med['local']:.0f} | "
          f"{p * a.batch / med['dist']:.0f} | {p * med['local'] / med['dist']:.2f} |")
    print(json.dumps({"benchmark": "distributed", "ranks": p, "batch": a.batch, "mode": a.mode,
                      "batch_avg": every, "params": int(nparams),
                      "ms": {k: 1e3 * v for k, v in med.items()}, "predicted_ms": 1e3 * predicted,
                      "machine": platform.processor() or platform.machine()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="store_true", help="print the scaling model and exit")
    ap.add_argument("--batch", type=int, default=100, help="batch per rank")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--mode", choices=["gradients", "weights"], default="gradients")
    ap.add_argument("--batch-avg", type=int, default=1)
    a = ap.parse_args()
    if a.model:
        print_model()
    else:
        measure(a)


if __name__ == "__main__":
    main()
