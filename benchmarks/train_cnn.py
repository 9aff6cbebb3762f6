"""CNN speed and memory: eddl vs PyTorch eager (and onnxruntime for inference), same threads.

Workloads (float32, synthetic data):

- ``a``: MNIST conv net, 1x28x28, 3x (Conv3x3-ReLU-MaxPool2) with 16/32/64 filters, Dense 10,
  batch 100, one SGD training step per batch;
- ``b``: VGG16 with batch normalization on 3x32x32 (512-unit head), batch 100, training;
- ``c``: U-Net depth 3, 16 base filters, 1x128x128, batch 8, training (sigmoid + MSE);
- ``d``: ResNet-18 forward only on 3x224x224, batch 8 (also onnxruntime on torchvision's
  ResNet-18 as PyTorch exports it, the model the tests commit);
- ``r``: ResNet-50 forward only on 3x224x224, batch 8: ``eddl.zoo.resnet50`` against
  onnxruntime on torchvision's ResNet-50 as PyTorch exports it (the tests' model; no PyTorch
  run);
- ``s``: a conv layer stack, 16x64x64 input, 4x (Conv3x3 32 filters, ReLU), training (MSE),
  used by ``--scaling``.

Each framework runs in its own process under its own default environment (see
``benchmarks/procs.py``): for each workload and thread count, ``--reps`` rounds alternate one
fresh process per framework, each timing ``--batches`` steps after a warm-up one. Reported:
the median time per batch and its spread (min-max) over the rounds, and the median peak
resident memory of the processes (MiB, the whole run: import, model, data, steps).
onnxruntime sessions keep the default graph optimisations, ``intra_op_num_threads`` = threads
and spinning disabled.

Run: ``python benchmarks/train_cnn.py [--work a d] [--threads 1 2] [--reps 5] [--batches 3]
[--batch N] [--blas-gemm] [--scaling] [--frameworks eddl torch onnxruntime]``. ``--batch`` overrides the batch size of every workload;
``--blas-gemm`` lets BLAS thread the batch-wide convolution GEMMs instead of splitting their
columns over the kernel's threads; ``--scaling`` times the conv stack (``s``) at batch 1 and 8
with 1 and 2 threads and reports each framework's 1->2 thread speed-up. Prints a table and one
JSON line.
"""

import argparse
import json
import platform
import tempfile
import time

import onnx_fixtures
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("eddl", "torch", "onnxruntime")
# which frameworks run each workload
WORK_FRAMEWORKS = {"a": ("eddl", "torch"), "b": ("eddl", "torch"), "c": ("eddl", "torch"),
                   "d": ("eddl", "torch", "onnxruntime"), "r": ("eddl", "onnxruntime"),
                   "s": ("eddl", "torch")}
# the ONNX model onnxruntime runs for an inference workload
ORT_MODELS = {"d": "resnet18_dynamo_eval", "r": "resnet50_dynamo_eval"}


def eddl_model(work):
    import eddl

    if work == "a":
        x = inp = eddl.Input([1, 28, 28])
        for f in (16, 32, 64):
            x = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, f, [3, 3])), [2, 2], [2, 2])
        net = eddl.Model([inp], [eddl.Softmax(eddl.Dense(eddl.Flatten(x), 10))])
        return net, "soft_cross_entropy", (100, 1, 28, 28), (100, 10)
    if work == "b":
        return eddl.zoo.vgg16_bn([3, 32, 32], 10, 512), "soft_cross_entropy", (100, 3, 32, 32), (100, 10)
    if work == "c":
        return (eddl.zoo.unet([1, 128, 128], 1, depth=3, base_filters=16), "mse", (8, 1, 128, 128),
                (8, 1, 128, 128))
    if work == "s":
        x = inp = eddl.Input([16, 64, 64])
        for _ in range(4):
            x = eddl.ReLu(eddl.Conv2D(x, 32, [3, 3]))
        return eddl.Model([inp], [x]), "mse", (8, 16, 64, 64), (8, 32, 64, 64)
    if work == "r":
        return eddl.zoo.resnet50([3, 224, 224], 1000), None, (8, 3, 224, 224), None
    return eddl.zoo.resnet18([3, 224, 224], 1000), None, (8, 3, 224, 224), None


def torch_model(work):
    import torch.nn as tnn

    def cbr(i, o, k=3, s=1):
        return [tnn.Conv2d(i, o, k, s, k // 2, bias=False), tnn.BatchNorm2d(o), tnn.ReLU()]
    if work == "a":
        layers, c = [], 1
        for f in (16, 32, 64):
            layers += [tnn.Conv2d(c, f, 3, 1, 1), tnn.ReLU(), tnn.MaxPool2d(2)]
            c = f
        return tnn.Sequential(*layers, tnn.Flatten(), tnn.Linear(64 * 3 * 3, 10))
    if work == "b":
        layers, c = [], 3
        for stage, n in enumerate([2, 2, 3, 3, 3]):
            for _ in range(n):
                layers += cbr(c, min(64 * 2 ** stage, 512))
                c = min(64 * 2 ** stage, 512)
            layers.append(tnn.MaxPool2d(2))
        return tnn.Sequential(*layers, tnn.Flatten(), tnn.Linear(512, 512), tnn.ReLU(),
                              tnn.Dropout(0.5), tnn.Linear(512, 512), tnn.ReLU(), tnn.Dropout(0.5),
                              tnn.Linear(512, 10))
    if work == "s":
        layers, c = [], 16
        for _ in range(4):
            layers += [tnn.Conv2d(c, 32, 3, 1, 1), tnn.ReLU()]
            c = 32
        return tnn.Sequential(*layers)
    if work == "c":
        import torch

        class UNet(tnn.Module):
            def __init__(self):
                super().__init__()
                f = [16, 32, 64, 128]
                self.down = tnn.ModuleList()
                c = 1
                for k in f[:3]:
                    self.down.append(tnn.Sequential(*cbr(c, k), *cbr(k, k)))
                    c = k
                self.mid = tnn.Sequential(*cbr(64, 128), *cbr(128, 128))
                self.up = tnn.ModuleList([tnn.ConvTranspose2d(f[i + 1], f[i], 2, 2) for i in (2, 1, 0)])
                self.dec = tnn.ModuleList([tnn.Sequential(*cbr(2 * f[i], f[i]), *cbr(f[i], f[i]))
                                           for i in (2, 1, 0)])
                self.out = tnn.Conv2d(16, 1, 1)

            def forward(self, x):
                skips = []
                for d in self.down:
                    x = d(x)
                    skips.append(x)
                    x = torch.nn.functional.max_pool2d(x, 2)
                x = self.mid(x)
                for up, dec, s in zip(self.up, self.dec, reversed(skips)):
                    x = dec(torch.cat([up(x), s], 1))
                return torch.sigmoid(self.out(x))
        return UNet()
    return _torch_resnet18(tnn, cbr)


def _torch_resnet18(tnn, cbr):
    """torchvision's ResNet-18 layout (written out so torchvision is not needed)."""
    class Block(tnn.Module):
        def __init__(self, i, o, s):
            super().__init__()
            self.body = tnn.Sequential(*cbr(i, o, 3, s), tnn.Conv2d(o, o, 3, 1, 1, bias=False),
                                       tnn.BatchNorm2d(o))
            self.short = (tnn.Identity() if s == 1 and i == o else
                          tnn.Sequential(tnn.Conv2d(i, o, 1, s, bias=False), tnn.BatchNorm2d(o)))
            self.relu = tnn.ReLU()

        def forward(self, x):
            return self.relu(self.body(x) + self.short(x))
    layers = [*cbr(3, 64, 7, 2), tnn.MaxPool2d(3, 2, 1)]
    c = 64
    for stage in range(4):
        o = 64 * 2 ** stage
        layers += [Block(c, o, 2 if stage else 1), Block(o, o, 1)]
        c = o
    return tnn.Sequential(*layers, tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, 1000))


def _batch(shape, batch):
    return shape if shape is None or batch is None else (batch,) + tuple(shape[1:])


_SHAPES = {"a": ("soft_cross_entropy", (100, 1, 28, 28), (100, 10)),
           "b": ("soft_cross_entropy", (100, 3, 32, 32), (100, 10)),
           "c": ("mse", (8, 1, 128, 128), (8, 1, 128, 128)),
           "d": (None, (8, 3, 224, 224), None),
           "r": (None, (8, 3, 224, 224), None),
           "s": ("mse", (8, 16, 64, 64), (8, 32, 64, 64))}


def _time_steps(step, batches):
    """Milliseconds per step of ``batches`` steps after one warm-up step (buffers, kernels)."""
    step()
    t = time.perf_counter()
    for _ in range(batches):
        step()
    return 1e3 * (time.perf_counter() - t) / batches


def run_eddl(work, threads, batch, batches, blas_gemm=False):
    """One round of eddl on ``work`` in this process: ms per batch."""
    import numpy as np

    import eddl
    from eddl.backend.cpu import conv as cpu_conv

    cpu_conv.BLAS_THREADED_GEMM = blas_gemm
    eddl.set_num_threads(threads)
    eddl.set_seed(0)
    net, loss, xs, ys = eddl_model(work)
    xs, ys = _batch(xs, batch), _batch(ys, batch)
    rng = np.random.default_rng(0)
    x = rng.random(xs, dtype=np.float32)
    if ys is None:  # inference: no optimizer state, as onnxruntime has none
        eddl.build(net, None, None, None, eddl.CS_CPU())
        net.set_mode(eddl.TSMODE)

        def step():
            net.set_inputs([x])
            net.forward()
    else:
        y = rng.random(ys, dtype=np.float32)
        eddl.build(net, eddl.sgd(0.01, 0.9), [loss], ["none"], eddl.CS_CPU())

        def step():
            net.train_batch([x], [y])
    return {"ms": _time_steps(step, batches)}


def run_torch(work, threads, batch, batches):
    """One round of PyTorch eager on ``work`` in this process: ms per batch."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch_model(work)
    loss_name, xs, ys = _SHAPES[work]
    x = torch.rand(_batch(xs, batch))
    if ys is None:
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    else:
        y = torch.rand(_batch(ys, batch))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad()
            out = model(x)
            if loss_name == "mse":
                loss = torch.nn.functional.mse_loss(out, y)
            else:
                loss = torch.nn.functional.cross_entropy(out, y.softmax(1))
            loss.backward()
            opt.step()
    return {"ms": _time_steps(step, batches), "version": torch.__version__}


def ort_model_file(work, folder):
    """Write the ONNX model onnxruntime runs for ``work`` into ``folder`` (once); its path."""
    return onnx_fixtures.write_fixture(ORT_MODELS[work], folder)


def run_ort(work, threads, batch, batches, model_path):
    """One round of onnxruntime on an inference workload in this process: ms per batch."""
    import numpy as np
    import onnxruntime as ort

    x = np.random.default_rng(0).random(_batch(_SHAPES[work][1], batch), dtype=np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    # idle pool threads would otherwise spin after each run, unlike the other frameworks'
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return {"ms": _time_steps(lambda: sess.run(None, {name: x}), batches),
            "version": ort.__version__}


def _model_folder():
    if not hasattr(_model_folder, "path"):
        _model_folder.path = tempfile.mkdtemp(prefix="train_cnn_")
    return _model_folder.path


RUNNERS = {"eddl": run_eddl, "torch": run_torch, "onnxruntime": run_ort}


def measure(work, threads, batch, reps, batches, frameworks, blas_gemm=False):
    """Alternated rounds of one process per framework on one workload; one result record."""
    fws = [fw for fw in frameworks if fw in WORK_FRAMEWORKS[work]]
    if "eddl" not in fws:
        raise ValueError(f"workload {work} needs eddl among the frameworks")

    req = {"work": work, "threads": threads, "batch": batch, "batches": batches}
    extra = {"eddl": {"blas_gemm": blas_gemm}}
    if "onnxruntime" in fws:
        extra["onnxruntime"] = {"model_path": ort_model_file(work, _model_folder())}

    def request(fw):
        return {**req, **extra.get(fw, {})}
    res = procs.compare(__file__, fws, request, reps, f"workload {work}, {threads} thread(s)")
    ms = {fw: r["ms"] for fw, r in res.items()}
    rss = {fw: r["rss_mib"] for fw, r in res.items()}

    def ratio(d, peer):
        return round(d["eddl"]["median"] / d[peer]["median"], 3) if peer in d else None
    return {"work": work, "threads": threads, "batch": batch, "blas_gemm": blas_gemm,
            "median_ms": {k: round(v["median"], 2) for k, v in ms.items()},
            "range_ms": {k: [round(v["min"], 2), round(v["max"], 2)] for k, v in ms.items()},
            "rss_mib": {k: round(v["median"], 1) for k, v in rss.items()},
            "rss_range_mib": {k: [round(v["min"], 1), round(v["max"], 1)] for k, v in rss.items()},
            "ratio_vs_torch": ratio(ms, "torch"), "ratio_vs_onnxruntime": ratio(ms, "onnxruntime"),
            "rss_ratio_vs_torch": ratio(rss, "torch"),
            "rss_ratio_vs_onnxruntime": ratio(rss, "onnxruntime"),
            "versions": {fw: r["version"] for fw, r in res.items() if "version" in r}}


def scaling(reps, batches, frameworks):
    """1->2 thread speed-up of the conv stack at batch 1 and 8, each framework."""
    fws = [fw for fw in frameworks if fw in WORK_FRAMEWORKS["s"]]
    rows = []
    for batch in (1, 8):
        r1, r2 = (measure("s", t, batch, reps, batches, fws) for t in (1, 2))
        rows.append({"batch": batch, "ms_1_thread": r1["median_ms"], "ms_2_threads": r2["median_ms"],
                     "speedup": {k: round(r1["median_ms"][k] / r2["median_ms"][k], 3)
                                 for k in r1["median_ms"]}})
    print(f"{'batch':<6}" + "".join(f"{fw + ' ms 1t / 2t':>22}" for fw in fws)
          + "".join(f"{fw + ' 1->2':>12}" for fw in fws))
    for r in rows:
        cells = [f"{r['ms_1_thread'][k]:.1f} / {r['ms_2_threads'][k]:.1f}" for k in fws]
        print(f"{r['batch']:<6}" + "".join(f"{c:>22}" for c in cells)
              + "".join(f"{r['speedup'][k]:>11.2f}x" for k in fws))
    return rows


def _cell(v, spread=None):
    if v is None:
        return "-"
    return f"{v:.1f} [{spread[0]:.0f}-{spread[1]:.0f}]" if spread else f"{v:.0f}"


def _ratio(v):
    return "-" if v is None else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", nargs="+", default=["a", "d"], choices=list("abcdrs"))
    ap.add_argument("--threads", nargs="+", type=int, default=[2])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--batch", type=int, default=None, help="override every workload's batch")
    ap.add_argument("--blas-gemm", action="store_true",
                    help="let BLAS thread the batch-wide convolution GEMMs (eddl.backend.cpu.conv)")
    ap.add_argument("--scaling", action="store_true",
                    help="1->2 thread scaling of the conv stack at batch 1 and 8 (instead of --work)")
    procs.add_arguments(ap, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = ap.parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS,
                                       {"eddl": "eddl", "torch": "torch", "onnxruntime": "onnxruntime"})
    info = {"benchmark": "train_cnn", "machine": platform.processor() or platform.machine(),
            "frameworks": frameworks, "reps": args.reps, "batches": args.batches}
    if args.scaling:
        print(json.dumps({**info, "scaling": scaling(args.reps, args.batches, frameworks)}))
        return
    results = [measure(work, threads, args.batch, args.reps, args.batches, frameworks,
                       args.blas_gemm)
               for threads in args.threads for work in args.work]
    print(f"one process per framework and round; median of {args.reps} alternated rounds "
          f"[min-max], peak RSS MiB median")
    keys = ("eddl", "torch", "onnxruntime")
    print(f"{'work':<5}{'thr':>4}  " + "".join(f"{k:>22}" for k in ("eddl ms", "torch ms", "ort ms"))
          + f"{'eddl/torch':>11}{'eddl/ort':>9}" + "".join(f"{k:>10}" for k in (
              "eddl MiB", "torch MiB", "ort MiB")) + f"{'MiB e/t':>8}{'MiB e/o':>8}")
    for r in results:
        m, s, mem = r["median_ms"], r["range_ms"], r["rss_mib"]
        print(f"{r['work']:<5}{r['threads']:>4}  "
              + "".join(f"{_cell(m.get(k), s.get(k)):>22}" for k in keys)
              + f"{_ratio(r['ratio_vs_torch']):>11}{_ratio(r['ratio_vs_onnxruntime']):>9}"
              + "".join(f"{_cell(mem.get(k)):>10}" for k in keys)
              + f"{_ratio(r['rss_ratio_vs_torch']):>8}{_ratio(r['rss_ratio_vs_onnxruntime']):>8}")
    print(json.dumps({**info, "results": results}))


if __name__ == "__main__":
    main()
