"""ONNX import and inference: eddl vs onnxruntime on PyTorch-exported ResNet-18/50.

The models are the torchvision-style ResNets written by PyTorch's dynamo exporter that the
test suite commits (weights refilled deterministically, see ``tests/eddl/onnx/fixtures``).
Each framework runs in its own process under its own default environment, with the same number
of threads (``benchmarks/procs.py``); ``--rounds`` rounds alternate one fresh process per
framework and the medians over the rounds are reported (spread and peak memory in the JSON):

- **import**: eddl ``import_net_from_onnx_file`` + ``build(init_weights=False)`` vs
  ``onnx.load`` + ``onnxruntime.InferenceSession`` creation (ResNet-50), and the first
  inference after it;
- **inference**: median time of a forward pass at batch 1 and 8 (3x224x224) once warm.

Run: ``python benchmarks/onnx_import.py [--threads 2] [--reps 5] [--rounds 3]``. Prints a table
and a JSON line.
"""

import argparse
import json
import platform
import statistics
import tempfile
import time

import onnx_fixtures
import procs  # before any toolkit import: it keeps the environment from before it


def write_models(folder):
    return {name: onnx_fixtures.write_fixture(f"{name}_dynamo_eval", folder)
            for name in ("resnet18", "resnet50")}


def measure(paths, load, reps):
    """Time ``load(path)`` (returning ``infer(x)``), the first inference and the warm ones."""
    import numpy as np

    out = {}
    for name, path in paths.items():
        t0 = time.perf_counter()
        infer = load(path)
        t_import = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        for batch in (1, 8):
            x = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
            times = []
            for _ in range(reps + 1):
                t = time.perf_counter()
                infer(x)
                times.append(time.perf_counter() - t)
            if batch == 1:
                out[f"{name}_import_s"] = t_import
                out[f"{name}_first_s"] = times[0]
            out[f"{name}_b{batch}_ms"] = 1000 * statistics.median(times[1:])
    return out


def run_eddl(paths, threads, reps):
    """One round of eddl in this process (import, first and warm inferences)."""
    import eddl
    import eddl.onnx  # noqa: F401  (like onnx for onnxruntime: loaded before timing)

    eddl.set_num_threads(threads)

    def load(path):
        net = eddl.import_net_from_onnx_file(path)
        eddl.build(net, None, None, None, eddl.CS_CPU(threads), init_weights=False)
        net.set_mode(0)

        def infer(x):
            net.set_inputs([x])
            net.forward()
        return infer
    return measure(paths, load, reps)


def run_ort(paths, threads, reps):
    """One round of onnxruntime in this process (session creation, first and warm inferences)."""
    import onnx
    import onnxruntime as ort

    def load(path):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # idle pool threads would otherwise spin after each run, unlike eddl's
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        sess = ort.InferenceSession(onnx.load(path).SerializeToString(), opts)
        return lambda x: sess.run(None, {"input": x})
    return measure(paths, load, reps)


RUNNERS = {"eddl": run_eddl, "onnxruntime": run_ort}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5, help="warm inferences timed per process")
    ap.add_argument("--rounds", type=int, default=3, help="processes per framework, alternated")
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="onnx_bench_")
    res = procs.compare(__file__, list(RUNNERS),
                        {"paths": write_models(folder), "threads": args.threads, "reps": args.reps},
                        args.rounds, "ONNX ResNet import and inference", cwd=folder)
    summary = {fw: {k: v["median"] for k, v in r.items()} for fw, r in res.items()}
    e, o = summary["eddl"], summary["onnxruntime"]
    print(f"machine: {platform.processor() or platform.machine()}, threads {args.threads}, "
          f"one process per framework and round, medians of {args.rounds} alternated rounds")
    print(f"{'measure':34s} {'eddl':>10s} {'onnxruntime':>12s} {'eddl/ort':>9s}")
    for key, label, unit in [
            ("resnet50_import_s", "ResNet-50 import (+ session)", "s"),
            ("resnet50_first_s", "ResNet-50 first inference b1", "s"),
            ("resnet18_import_s", "ResNet-18 import (+ session)", "s"),
            ("resnet18_b1_ms", "ResNet-18 inference b1", "ms"),
            ("resnet18_b8_ms", "ResNet-18 inference b8", "ms"),
            ("resnet50_b1_ms", "ResNet-50 inference b1", "ms"),
            ("resnet50_b8_ms", "ResNet-50 inference b8", "ms")]:
        print(f"{label:34s} {e[key]:8.3f} {unit:2s}{o[key]:10.3f} {unit:2s}{e[key] / o[key]:8.2f}")
    print(json.dumps({"benchmark": "onnx", "threads": args.threads, "rounds": args.rounds,
                      **{f"eddl_{k}": v for k, v in e.items()},
                      **{f"ort_{k}": v for k, v in o.items()},
                      "spread": {fw: {k: [v["min"], v["max"]] for k, v in r.items()}
                                 for fw, r in res.items()}}))


if __name__ == "__main__":
    main()
