"""Tensor op speed: eddl.Tensor vs NumPy vs PyTorch CPU tensors, same run, same threads.

Usage::

    python benchmarks/tensor_ops.py [--n 10000000] [--reps 9] [--threads 1 2]
    python benchmarks/tensor_ops.py --pools      # BLAS/OpenMP alternation, wait policies

Ops run on float32 tensors of ``n`` elements, out of place (each call allocates its result,
as ``t.exp()``, ``np.exp(x)`` and ``torch.exp(t)`` do). NumPy's ufuncs use one thread
whatever the setting; eddl (``eddl.set_num_threads``) and PyTorch (``torch.set_num_threads``)
get the same count. Times are medians of interleaved repetitions. PyTorch is optional.

``--pools`` times a loop alternating a BLAS GEMM (OpenBLAS's thread pool) with an OpenMP
kernel (libgomp's pool), in fresh processes with ``OMP_WAIT_POLICY`` PASSIVE (the library's
default) and ACTIVE, to show why the library sets the passive policy (docs/threads.md).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

TARGETS = {  # op: (min ratio vs NumPy, min ratio vs PyTorch)
    "exp": (3.0, 1.0), "log": (3.0, 1.0), "tanh": (3.0, 1.0), "sigmoid": (3.0, 1.0),
    "add": (1.0, 0.9), "mult": (1.0, 0.9), "sum": (1.0, 0.9), "max": (1.0, 0.9),
}


def _ops(x, y, pos):
    """name -> (eddl callable, NumPy callable, PyTorch callable or None)."""
    import eddl

    tx, ty, tpos = (eddl.Tensor.fromarray(a) for a in (x, y, pos))
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        qx, qy, qpos = (torch.from_numpy(a) for a in (x, y, pos))

    def t(fn):
        return fn if torch is not None else None

    return {
        "exp": (lambda: tx.exp(), lambda: np.exp(x), t(lambda: torch.exp(qx))),
        "log": (lambda: tpos.log(), lambda: np.log(pos), t(lambda: torch.log(qpos))),
        "tanh": (lambda: tx.tanh(), lambda: np.tanh(x), t(lambda: torch.tanh(qx))),
        "sigmoid": (lambda: tx.sigmoid(), lambda: 1.0 / (1.0 + np.exp(-x)),
                    t(lambda: torch.sigmoid(qx))),
        "add": (lambda: tx + ty, lambda: x + y, t(lambda: qx + qy)),
        "mult": (lambda: tx * ty, lambda: x * y, t(lambda: qx * qy)),
        "sum": (lambda: tx.sum(), lambda: x.sum(), t(lambda: qx.sum())),
        "max": (lambda: tx.max(), lambda: x.max(), t(lambda: qx.max())),
    }, torch


def _median_ms(fns, reps):
    times = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            if fn is None:
                continue
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) * 1e3 if t else None for t in times]


def run_ops(n, reps, thread_counts):
    import eddl

    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    pos = np.abs(x) + np.float32(0.1)
    ops, torch = _ops(x, y, pos)
    rows = []
    for nt in thread_counts:
        eddl.set_num_threads(nt)
        if torch is not None:
            torch.set_num_threads(nt)
        for name, fns in ops.items():
            for fn in fns:  # warm-up: page in buffers, start thread pools
                if fn is not None:
                    fn()
            ours, ref_np, ref_torch = _median_ms(fns, reps)
            rows.append({
                "op": name, "threads": nt, "eddl_ms": ours, "numpy_ms": ref_np,
                "torch_ms": ref_torch, "vs_numpy": ref_np / ours,
                "vs_torch": ref_torch / ours if ref_torch else None,
            })
    return rows, (torch.__version__ if torch is not None else None)


def _fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def print_table(rows):
    head = (f"{'op':<8} {'thr':>3} {'eddl ms':>9} {'numpy ms':>9} {'torch ms':>9} "
            f"{'xNumPy':>7} {'xTorch':>7}  target")
    print(head)
    print("-" * len(head))
    for r in rows:
        tn, tt = TARGETS[r["op"]]
        ok = r["vs_numpy"] >= tn and (r["vs_torch"] is None or r["vs_torch"] >= tt)
        print(f"{r['op']:<8} {r['threads']:>3} {r['eddl_ms']:>9.2f} {_fmt(r['numpy_ms'], '9.2f')} "
              f"{_fmt(r['torch_ms'], '9.2f')} {r['vs_numpy']:>7.2f} {_fmt(r['vs_torch'], '7.2f')}  "
              f">={tn:g}/{tt:g} {'ok' if ok else 'MISSED'}")


_POOL_CHILD = r"""
import json, sys, time
import numpy as np
import eddl
from eddl.backend.cpu import gemm, unary
from threadpoolctl import threadpool_info
eddl.set_num_threads(2)
a = np.random.default_rng(0).standard_normal((512, 512), dtype=np.float32)
x = np.random.default_rng(1).standard_normal(2_000_000, dtype=np.float32)
out = np.empty_like(x)
def step():
    gemm(a, a)
    unary("exp", x, out=out)
def bench(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3
g = bench(lambda: gemm(a, a), 15)
e = bench(lambda: unary("exp", x, out=out), 15)
s = bench(step, 15)
blas = [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"]
print(json.dumps({"gemm_ms": g, "exp_ms": e, "alternating_ms": s, "blas_threads": blas}))
"""


def run_pools():
    rows = []
    for policy in ("PASSIVE", "ACTIVE"):
        env = dict(os.environ, OMP_WAIT_POLICY=policy)
        proc = subprocess.run([sys.executable, "-c", _POOL_CHILD], env=env,
                              capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"pool benchmark child failed:\n{proc.stderr}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["policy"] = policy
        r["slowdown"] = r["alternating_ms"] / (r["gemm_ms"] + r["exp_ms"])
        rows.append(r)
    print(f"{'OMP_WAIT_POLICY':<16} {'gemm ms':>8} {'exp ms':>8} {'alternating ms':>15} "
          f"{'vs sum':>7}")
    for r in rows:
        print(f"{r['policy']:<16} {r['gemm_ms']:>8.2f} {r['exp_ms']:>8.2f} "
              f"{r['alternating_ms']:>15.2f} {r['slowdown']:>7.2f}")
    print(json.dumps({"benchmark": "tensor_ops.pools", "rows": rows}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000_000)
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--pools", action="store_true", help="time BLAS/OpenMP alternation instead")
    args = p.parse_args(argv)
    if args.pools:
        run_pools()
        return
    rows, torch_version = run_ops(args.n, args.reps, args.threads)
    print(f"float32, n={args.n}, medians of {args.reps} interleaved repetitions; "
          f"x = speed-up of eddl over the peer")
    print_table(rows)
    print(json.dumps({
        "benchmark": "tensor_ops", "n": args.n, "reps": args.reps, "through": "eddl.Tensor",
        "machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "numpy": np.__version__, "torch": torch_version, "rows": rows,
    }))


if __name__ == "__main__":
    main()
