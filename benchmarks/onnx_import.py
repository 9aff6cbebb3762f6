"""ONNX import and inference: eddl vs onnxruntime on PyTorch-exported ResNet-18/50.

The models are the torchvision-style ResNets written by PyTorch's dynamo exporter that the
test suite commits (weights refilled deterministically, see ``tests/eddl/onnx/fixtures``).
Each framework runs in its own process, with the same number of threads:

- **import**: eddl ``import_net_from_onnx_file`` + ``build(init_weights=False)`` vs
  ``onnx.load`` + ``onnxruntime.InferenceSession`` creation (ResNet-50), and the first
  inference after it;
- **inference**: median time of a forward pass at batch 1 and 8 (3x224x224) once warm.

Run: ``python benchmarks/onnx_import.py [--threads 2] [--reps 5]``. Prints a table and a JSON line.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "eddl", "onnx")


def write_models(folder):
    sys.path.insert(0, FIXTURES)
    import fixtures

    paths = {}
    for name in ("resnet18", "resnet50"):
        model = fixtures.load_fixture(f"{name}_dynamo_eval")
        path = os.path.join(folder, f"{name}.onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        paths[name] = path
    return paths


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
    import onnx
    import onnxruntime as ort

    def load(path):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(onnx.load(path).SerializeToString(), opts)
        return lambda x: sess.run(None, {"input": x})
    return measure(paths, load, reps)


def child(framework, paths, threads, reps):
    fn = run_eddl if framework == "eddl" else run_ort
    print(json.dumps(fn(json.loads(paths), threads, reps)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.threads, args.reps)
        return
    folder = tempfile.mkdtemp(prefix="onnx_bench_")
    paths = json.dumps(write_models(folder))
    res = {}
    for fw in ("eddl", "onnxruntime"):
        # each framework in a fresh process under its own default environment
        proc = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--reps",
                               str(args.reps), "--child", fw, paths], capture_output=True,
                              text=True, cwd=folder, check=True)
        res[fw] = json.loads(proc.stdout.strip().splitlines()[-1])
    e, o = res["eddl"], res["onnxruntime"]
    print(f"machine: {platform.processor() or platform.machine()}, threads {args.threads}")
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
    print(json.dumps({"benchmark": "onnx", "threads": args.threads, **{f"eddl_{k}": v for k, v in e.items()},
                      **{f"ort_{k}": v for k, v in o.items()}}))


if __name__ == "__main__":
    main()
