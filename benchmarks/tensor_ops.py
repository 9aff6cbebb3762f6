"""Tensor op speed: eddl.Tensor vs NumPy vs PyTorch CPU tensors, each in its own process, same threads.

Usage::

    python benchmarks/tensor_ops.py [--n 10000000] [--reps 9] [--rounds 3] [--threads 1 2]
                                    [--frameworks eddl numpy torch]
    python benchmarks/tensor_ops.py --pools      # BLAS/OpenMP alternation, wait policies

Ops run on float32 tensors of ``n`` elements, out of place (each call allocates its result,
as ``t.exp()``, ``np.exp(x)`` and ``torch.exp(t)`` do). NumPy's ufuncs use one thread
whatever the setting; eddl (``eddl.set_num_threads``) and PyTorch (``torch.set_num_threads``)
get the same count. Each framework runs in its own process under its own default environment
(``benchmarks/procs.py``); ``--rounds`` rounds alternate one fresh process per framework, each
timing ``--reps`` calls per op, and the medians over the rounds are compared (spread and peak
memory in the JSON line). PyTorch is optional.

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
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("eddl", "numpy", "torch")

TARGETS = {  # op: (min ratio vs NumPy, min ratio vs PyTorch)
    "exp": (3.0, 1.0), "log": (3.0, 1.0), "tanh": (3.0, 1.0), "sigmoid": (3.0, 1.0),
    "add": (1.0, 0.9), "mult": (1.0, 0.9), "sum": (1.0, 0.9), "max": (1.0, 0.9),
}


def _ops(framework, x, y, pos):
    """name -> callable of one framework, on float32 arrays ``x``, ``y`` and ``pos`` (> 0)."""
    if framework == "eddl":
        import eddl

        tx, ty, tpos = (eddl.Tensor.fromarray(a) for a in (x, y, pos))
        return {"exp": lambda: tx.exp(), "log": lambda: tpos.log(), "tanh": lambda: tx.tanh(),
                "sigmoid": lambda: tx.sigmoid(), "add": lambda: tx + ty, "mult": lambda: tx * ty,
                "sum": lambda: tx.sum(), "max": lambda: tx.max()}
    if framework == "torch":
        import torch

        qx, qy, qpos = (torch.from_numpy(a) for a in (x, y, pos))
        return {"exp": lambda: torch.exp(qx), "log": lambda: torch.log(qpos),
                "tanh": lambda: torch.tanh(qx), "sigmoid": lambda: torch.sigmoid(qx),
                "add": lambda: qx + qy, "mult": lambda: qx * qy, "sum": lambda: qx.sum(),
                "max": lambda: qx.max()}
    return {"exp": lambda: np.exp(x), "log": lambda: np.log(pos), "tanh": lambda: np.tanh(x),
            "sigmoid": lambda: 1.0 / (1.0 + np.exp(-x)), "add": lambda: x + y,
            "mult": lambda: x * y, "sum": lambda: x.sum(), "max": lambda: x.max()}


def run_framework(framework, n, reps, threads):
    """One round in this process: median ms of ``reps`` calls of each op, after a warm-up."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    pos = np.abs(x) + np.float32(0.1)
    out = {}
    if framework == "eddl":
        import eddl

        eddl.set_num_threads(threads)
    elif framework == "torch":
        import torch

        torch.set_num_threads(threads)
        out["version"] = torch.__version__
    for name, fn in _ops(framework, x, y, pos).items():
        fn()  # warm-up: page in buffers, start thread pools
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = float(np.median(times)) * 1e3
    return out


RUNNERS = {fw: (lambda fw: lambda **kw: run_framework(fw, **kw))(fw) for fw in FRAMEWORKS}


def run_ops(n, reps, thread_counts, rounds=3, frameworks=FRAMEWORKS):
    """Alternated rounds of one process per framework for each thread count; a row per op."""
    rows, version = [], None
    for nt in thread_counts:
        res = procs.compare(__file__, frameworks, {"n": n, "reps": reps, "threads": nt}, rounds,
                            f"tensor ops, {nt} thread(s)")
        version = res.get("torch", {}).get("version", version)
        for name in TARGETS:
            med = {fw: r[name]["median"] for fw, r in res.items()}
            ours, ref_np, ref_torch = med["eddl"], med.get("numpy"), med.get("torch")
            rows.append({
                "op": name, "threads": nt, "eddl_ms": ours, "numpy_ms": ref_np,
                "torch_ms": ref_torch, "vs_numpy": ref_np / ours if ref_np else None,
                "vs_torch": ref_torch / ours if ref_torch else None,
                "spread_ms": {fw: [r[name]["min"], r[name]["max"]] for fw, r in res.items()},
                "rss_mib": {fw: r["rss_mib"]["median"] for fw, r in res.items()},
            })
    return rows, version


def _fmt(v, spec):
    return format(v, spec) if v is not None else format("-", ">" + spec.split(".")[0])


def print_table(rows):
    head = (f"{'op':<8} {'thr':>3} {'eddl ms':>9} {'numpy ms':>9} {'torch ms':>9} "
            f"{'xNumPy':>7} {'xTorch':>7}  target")
    print(head)
    print("-" * len(head))
    for r in rows:
        tn, tt = TARGETS[r["op"]]
        pairs = [(v, t) for v, t in ((r["vs_numpy"], tn), (r["vs_torch"], tt)) if v is not None]
        ok = "no peer" if not pairs else "ok" if all(v >= t for v, t in pairs) else "MISSED"
        print(f"{r['op']:<8} {r['threads']:>3} {r['eddl_ms']:>9.2f} {_fmt(r['numpy_ms'], '9.2f')} "
              f"{_fmt(r['torch_ms'], '9.2f')} {_fmt(r['vs_numpy'], '7.2f')} {_fmt(r['vs_torch'], '7.2f')}  "
              f">={tn:g}/{tt:g} {ok}")


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
        env = dict(procs.child_env(), OMP_WAIT_POLICY=policy)
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
    p.add_argument("--rounds", type=int, default=3,
                   help="processes per framework, alternated (each times --reps calls per op)")
    p.add_argument("--pools", action="store_true", help="time BLAS/OpenMP alternation instead")
    procs.add_arguments(p, FRAMEWORKS)
    if procs.is_child(argv):
        procs.serve(RUNNERS, argv)
        return
    args = p.parse_args(argv)
    if args.pools:
        run_pools()
        return
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, {})
    if "eddl" not in frameworks:
        raise SystemExit("tensor_ops compares against eddl: include it in --frameworks")
    rows, torch_version = run_ops(args.n, args.reps, args.threads, args.rounds, frameworks)
    print(f"float32, n={args.n}, one process per framework and round: median over {args.rounds} "
          f"alternated rounds of the median of {args.reps} calls; x = speed-up of eddl over the peer")
    print_table(rows)
    print(json.dumps({
        "benchmark": "tensor_ops", "n": args.n, "reps": args.reps, "rounds": args.rounds, "through": "eddl.Tensor",
        "machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "numpy": np.__version__, "torch": torch_version, "rows": rows,
    }))


if __name__ == "__main__":
    main()
