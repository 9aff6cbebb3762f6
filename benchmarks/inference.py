"""CNN inference: eddl, eddl after ``optimize_for_inference``, and onnxruntime on the same network.

Workloads (float32, 3x224x224 inputs, 1000 classes):

- ``resnet18``, ``resnet50``: ``eddl.zoo.resnet18/50`` (seeded weights, BatchNormalization
  layers), exported once with ``eddl.save_net_to_onnx_file``; eddl imports that file (an exact
  round trip: the zoo's layers and weights) and onnxruntime runs it, so both compute the same
  graph with the same weights;
- ``torch-resnet18``, ``torch-resnet50``: torchvision's ResNet-18/50 as PyTorch's dynamo
  exporter writes them (BatchNorm folded into the convolutions), the models the test suite
  commits (``benchmarks/onnx_fixtures.py``); eddl imports the file onnxruntime runs.

Variants (``--frameworks``):

- ``eddl``: the imported net built on ``CS_CPU``, timed with ``eddl.predict`` (inference mode);
- ``eddl-opt``: the imported net passed straight to ``eddl.optimize_for_inference`` (only the
  rewritten copy is built), timed the same way
  (reported as unavailable by a toolkit without that function);
- ``onnxruntime``: default graph optimisations, ``intra_op_num_threads`` = threads,
  ``inter_op_num_threads`` = 1, spinning disabled (``session.intra_op.allow_spinning`` = 0).

Each variant runs in its own process under the environment from before the toolkit's import
(``benchmarks/procs.py``); for every workload, batch size and thread count, ``--rounds`` rounds
alternate one fresh process per variant. A process loads the model, runs ``--warmup`` passes,
then times ``--reps`` passes of one batch and returns the median milliseconds per batch.
Reported: the median over the rounds with its spread (min-max), the ratios to onnxruntime,
and each process's peak resident memory; the JSON lines add the memory still resident after the
timed passes (``resident_mib``, :func:`procs.live_rss_mib`: without the moment
``optimize_for_inference`` holds two copies of the weights). The first outputs of every variant are compared, so that a table never compares
different networks.

Run: ``python benchmarks/inference.py [--workloads resnet18 resnet50 torch-resnet18]
[--batch 1 8] [--threads 1 2] [--rounds 5] [--reps 10] [--warmup 2]
[--frameworks eddl eddl-opt onnxruntime]``. Prints the machine, a markdown table and one JSON
line per row.
"""

import argparse
import importlib.metadata
import json
import os
import statistics
import sys
import tempfile
import time

import onnx_fixtures
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("eddl", "eddl-opt", "onnxruntime")
MODULES = {"eddl": "eddl", "eddl-opt": "eddl", "onnxruntime": "onnxruntime"}
INPUT_SHAPE = (3, 224, 224)
CLASSES = 1000
# workload -> ("zoo", function of eddl.zoo) or ("fixture", test fixture of PyTorch's export)
WORKLOADS = {"resnet18": ("zoo", "resnet18"), "resnet50": ("zoo", "resnet50"),
             "torch-resnet18": ("fixture", "resnet18_dynamo_eval"),
             "torch-resnet50": ("fixture", "resnet50_dynamo_eval")}
DEFAULT_WORKLOADS = ["resnet18", "resnet50", "torch-resnet18"]
# the first outputs of sample 0 each variant returns, and how close they must be (relative to
# their largest magnitude): float32 with other summation orders and folded BatchNorm
HEAD = 16
OUTPUT_RTOL = 1e-3


def _input(batch):
    import numpy as np

    return np.random.default_rng(0).standard_normal((batch, *INPUT_SHAPE), dtype=np.float32)


def _time_passes(infer, x, warmup, reps):
    """Median ms of ``reps`` calls ``infer(x)`` after ``warmup`` ones, and the last output."""
    out = None
    for _ in range(warmup):
        out = infer(x)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        out = infer(x)
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times), out


def _head(out):
    return [float(v) for v in out.reshape(out.shape[0], -1)[0, :HEAD]]


def export_zoo(name, path, seed=0):
    """Build ``eddl.zoo.<name>`` with seeded weights and write it to the ONNX file ``path``."""
    import eddl

    eddl.set_seed(seed)
    net = getattr(eddl.zoo, name)(list(INPUT_SHAPE), CLASSES)
    eddl.build(net, None, None, None, eddl.CS_CPU())
    eddl.save_net_to_onnx_file(net, path)
    return {"path": path}


def eddl_info():
    """The toolkit's version, the instruction set its loops run with, and its BLAS."""
    import eddl

    config = eddl.config()
    return {"version": eddl.__version__, "instruction_set": config["instruction_set"],
            "blas": config.get("blas", "?"),
            "optimize_for_inference": hasattr(eddl, "optimize_for_inference")}


def run_eddl(model_path, batch, threads, warmup, reps, optimize=False):
    """One round of eddl (``optimize``: after ``optimize_for_inference``) in this process."""
    import eddl
    import eddl.onnx  # noqa: F401  (loaded before the set-up is timed, as onnx for onnxruntime)

    if optimize and not hasattr(eddl, "optimize_for_inference"):
        raise RuntimeError(f"eddl {eddl.__version__} has no optimize_for_inference")
    eddl.set_num_threads(threads)
    t = time.perf_counter()
    net = eddl.import_net_from_onnx_file(model_path)
    if optimize:  # straight from the imported weights: no trainable copy is ever built
        net = eddl.optimize_for_inference(net, cs=eddl.CS_CPU(threads))
    else:
        eddl.build(net, None, None, None, eddl.CS_CPU(threads), init_weights=False)
    setup_s = time.perf_counter() - t

    def infer(x):
        return eddl.predict(net, [x], bs=batch)[0].numpy()
    ms, out = _time_passes(infer, _input(batch), warmup, reps)
    return {"ms": ms, "setup_s": setup_s, "resident_mib": procs.live_rss_mib(), "head": _head(out),
            "version": eddl.__version__}


def run_eddl_opt(**kwargs):
    """One round of eddl after ``optimize_for_inference`` in this process."""
    return run_eddl(**kwargs, optimize=True)


def run_ort(model_path, batch, threads, warmup, reps):
    """One round of onnxruntime in this process."""
    import onnxruntime as ort

    t = time.perf_counter()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    # idle pool threads would otherwise spin after each run, unlike eddl's
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    setup_s = time.perf_counter() - t
    name = sess.get_inputs()[0].name
    ms, out = _time_passes(lambda x: sess.run(None, {name: x})[0], _input(batch), warmup, reps)
    return {"ms": ms, "setup_s": setup_s, "resident_mib": procs.live_rss_mib(), "head": _head(out),
            "version": ort.__version__}


RUNNERS = {"eddl": run_eddl, "eddl-opt": run_eddl_opt, "onnxruntime": run_ort,
           "eddl-export": export_zoo, "eddl-info": eddl_info}


def model_file(workload, folder):
    """Write the ONNX file of ``workload`` into ``folder`` (once); its path.

    A zoo net is built and exported in a child process of the toolkit's, so that this process
    never loads the toolkit's thread pools.
    """
    kind, name = WORKLOADS[workload]
    if kind == "fixture":
        return onnx_fixtures.write_fixture(name, folder)
    path = os.path.join(folder, f"zoo_{name}.onnx")
    if not os.path.exists(path):
        procs.run_child(__file__, "eddl-export", {"name": name, "path": path},
                        f"the export of eddl.zoo.{name}")
    return path


def outputs_agree(res):
    """Whether every variant's first outputs match the first variant's (within OUTPUT_RTOL)."""
    heads = [r["head"] for r in res.values()]
    ref = heads[0]
    scale = max(abs(v) for v in ref) or 1.0
    return all(len(h) == len(ref) and max(abs(a - b) for a, b in zip(h, ref)) <= OUTPUT_RTOL * scale
               for h in heads[1:])


def _ratio(res, num, den, key):
    if num not in res or den not in res:
        return None
    return round(res[num][key]["median"] / res[den][key]["median"], 3)


def measure(workload, path, batch, threads, args, frameworks):
    """Alternated rounds of one process per variant on one configuration; one JSON record."""
    request = {"model_path": path, "batch": batch, "threads": threads, "warmup": args.warmup,
               "reps": args.reps}
    label = f"{workload}, batch {batch}, {threads} thread(s)"
    res = procs.compare(__file__, frameworks, request, args.rounds, label)
    agree = outputs_agree(res)
    if not agree:
        heads = {fw: r["head"][:4] for fw, r in res.items()}
        print(f"warning: {label}: the variants' outputs differ: {heads}", file=sys.stderr)

    def spread(key, digits):
        return {fw: None if r[key] is None else {k: round(v, digits) for k, v in r[key].items()}
                for fw, r in res.items()}
    return {"benchmark": "inference", "workload": workload, "batch": batch, "threads": threads,
            "rounds": args.rounds, "reps": args.reps, "warmup": args.warmup,
            "ms": spread("ms", 3), "rss_mib": spread("rss_mib", 1),
            "resident_mib": spread("resident_mib", 1),
            "setup_s": {fw: round(r["setup_s"]["median"], 3) for fw, r in res.items()},
            "eddl/ort": _ratio(res, "eddl", "onnxruntime", "ms"),
            "eddl-opt/ort": _ratio(res, "eddl-opt", "onnxruntime", "ms"),
            "rss eddl-opt/ort": _ratio(res, "eddl-opt", "onnxruntime", "rss_mib"),
            "outputs_agree": agree}


def _ms_cell(row, fw, unavailable):
    if fw in unavailable:
        return "unavailable"
    if fw not in row["ms"]:
        return "-"
    s = row["ms"][fw]
    return f"{s['median']:.1f} [{s['min']:.1f}-{s['max']:.1f}]"


def _mib_cell(row, fw, unavailable):
    if fw in unavailable:
        return "unavailable"
    return f"{row['rss_mib'][fw]['median']:.0f}" if fw in row["rss_mib"] else "-"


def _num(v):
    return "-" if v is None else f"{v:.2f}"


def print_table(rows, unavailable):
    """The markdown table of every row."""
    head = (["workload", "batch", "threads"] + [f"{fw} ms" for fw in FRAMEWORKS]
            + ["eddl/ort", "eddl-opt/ort"] + [f"{fw} MiB" for fw in FRAMEWORKS]
            + ["MiB eddl-opt/ort"])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = ([r["workload"], str(r["batch"]), str(r["threads"])]
                 + [_ms_cell(r, fw, unavailable) for fw in FRAMEWORKS]
                 + [_num(r["eddl/ort"]), _num(r["eddl-opt/ort"])]
                 + [_mib_cell(r, fw, unavailable) for fw in FRAMEWORKS]
                 + [_num(r["rss eddl-opt/ort"])])
        print("| " + " | ".join(cells) + " |")


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv=None):
    """The command line (see the module's docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=DEFAULT_WORKLOADS)
    ap.add_argument("--batch", nargs="+", type=_positive, default=[1, 8])
    ap.add_argument("--threads", nargs="+", type=_positive, default=[1, 2])
    ap.add_argument("--rounds", type=_positive, default=5, help="processes per variant, alternated")
    ap.add_argument("--reps", type=_positive, default=10, help="timed passes per process")
    ap.add_argument("--warmup", type=int, default=2, help="untimed passes per process first")
    procs.add_arguments(ap, FRAMEWORKS)
    args = ap.parse_args(argv)
    if args.warmup < 0:
        ap.error(f"--warmup must be at least 0, got {args.warmup}")
    return args


def main():
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, MODULES)
    info = procs.run_child(__file__, "eddl-info", {}, "the toolkit's configuration")
    unavailable = []
    if "eddl-opt" in frameworks and not info["optimize_for_inference"]:
        unavailable.append("eddl-opt")
        frameworks.remove("eddl-opt")
        if not frameworks:
            raise SystemExit(f"inference.py: eddl {info['version']} has no optimize_for_inference, "
                             f"and eddl-opt was the only variant asked for")
    machine = {**procs.cpu_info(), "eddl": info["version"], "numpy": _version("numpy"),
               "onnxruntime": _version("onnxruntime"), "instruction_set": info["instruction_set"],
               "blas": info["blas"]}
    print(f"cpu: {machine['cpu']} ({os.cpu_count()} logical cores); simd: {' '.join(machine['simd'])}")
    print(f"eddl {machine['eddl']} ({machine['instruction_set']}; {machine['blas']}), "
          f"numpy {machine['numpy']}, onnxruntime {machine['onnxruntime']}")
    print(f"one process per variant and round; median of {args.rounds} alternated rounds "
          f"[min-max] of each process's median over {args.reps} passes after {args.warmup} "
          f"warm-up ones; peak RSS MiB median"
          + (f"; unavailable: {', '.join(unavailable)}" if unavailable else ""))
    rows = []
    with tempfile.TemporaryDirectory(prefix="inference_bench_") as folder:
        for workload in args.workloads:
            path = model_file(workload, folder)
            for batch in args.batch:
                for threads in args.threads:
                    rows.append({**measure(workload, path, batch, threads, args, frameworks),
                                 "unavailable": unavailable, "machine": machine})
    print()
    print_table(rows, unavailable)
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
