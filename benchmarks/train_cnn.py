"""CNN speed: eddl vs PyTorch eager (and onnxruntime for inference), same threads, same run.

Workloads (float32, synthetic data):

- ``a``: MNIST conv net, 1x28x28, 3x (Conv3x3-ReLU-MaxPool2) with 16/32/64 filters, Dense 10,
  batch 100, one SGD training step per batch;
- ``b``: VGG16 with batch normalization on 3x32x32 (512-unit head), batch 100, training;
- ``c``: U-Net depth 3, 16 base filters, 1x128x128, batch 8, training (sigmoid + MSE);
- ``d``: ResNet-18 forward only on 3x224x224, batch 8 (also onnxruntime on the same weights'
  architecture exported by PyTorch);
- ``s``: a conv layer stack, 16x64x64 input, 4x (Conv3x3 32 filters, ReLU), training (MSE),
  used by ``--scaling``.

For each thread count, repetitions of the frameworks alternate and the medians per batch are
compared (noise on a shared machine is high; the spread is reported).

Run: ``python benchmarks/train_cnn.py [--work a d] [--threads 1 2] [--reps 5] [--batches 3]
[--batch N] [--blas-gemm] [--scaling]``. ``--batch`` overrides the batch size of every workload;
``--blas-gemm`` lets BLAS thread the batch-wide convolution GEMMs instead of splitting their
columns over the kernel's threads; ``--scaling`` times the conv stack (``s``) at batch 1 and 8
with 1 and 2 threads and reports each framework's 1->2 thread speed-up. Prints a table and one
JSON line.
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import numpy as np

import eddl


def eddl_model(work):
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


class Ours:
    name = "eddl"

    def __init__(self, work, batch=None):
        eddl.set_seed(0)
        self.net, loss, xs, ys = eddl_model(work)
        xs, ys = _batch(xs, batch), _batch(ys, batch)
        rng = np.random.default_rng(0)
        self.x = rng.random(xs, dtype=np.float32)
        self.y = None if ys is None else rng.random(ys, dtype=np.float32)
        if loss is None:
            eddl.build(self.net, eddl.sgd(0.01, 0.9), ["mse"], ["none"], eddl.CS_CPU())
        else:
            eddl.build(self.net, eddl.sgd(0.01, 0.9), [loss], ["none"], eddl.CS_CPU())

    def step(self):
        if self.y is None:
            self.net.set_mode(eddl.TSMODE)
            self.net.set_inputs([self.x])
            self.net.forward()
        else:
            self.net.train_batch([self.x], [self.y])


class Torch:
    name = "torch"

    def __init__(self, work, batch=None):
        import torch
        self.torch = torch
        torch.manual_seed(0)
        self.model = torch_model(work)
        loss, xs, ys = _SHAPES[work]
        xs, ys = _batch(xs, batch), _batch(ys, batch)
        self.x = torch.rand(xs)
        self.y = None if ys is None else torch.rand(ys)
        self.loss = loss
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        if self.y is None:
            self.model.eval()

    def step(self):
        torch = self.torch
        if self.y is None:
            with torch.no_grad():
                self.model(self.x)
            return
        self.opt.zero_grad()
        out = self.model(self.x)
        if self.loss == "mse":
            loss = torch.nn.functional.mse_loss(out, self.y)
        else:
            loss = torch.nn.functional.cross_entropy(out, self.y.softmax(1))
        loss.backward()
        self.opt.step()


class Ort:
    name = "onnxruntime"

    def __init__(self, work, threads, batch=None):
        import onnxruntime as ort
        import torch
        model = torch_model(work).eval()
        xs = _batch(_SHAPES[work][1], batch)
        self.x = np.random.default_rng(0).random(xs, dtype=np.float32)
        path = os.path.join(tempfile.mkdtemp(), "m.onnx")
        torch.onnx.export(model, torch.from_numpy(self.x), path, input_names=["x"], dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        # idle pool threads would otherwise spin after each run and steal the cores from the
        # framework timed next (interleaved repetitions)
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

    def step(self):
        self.sess.run(None, {"x": self.x})


_SHAPES = {"a": ("soft_cross_entropy", (100, 1, 28, 28), (100, 10)),
           "b": ("soft_cross_entropy", (100, 3, 32, 32), (100, 10)),
           "c": ("mse", (8, 1, 128, 128), (8, 1, 128, 128)),
           "d": (None, (8, 3, 224, 224), None),
           "s": ("mse", (8, 16, 64, 64), (8, 32, 64, 64))}


def timed(f, batches):
    t = time.perf_counter()
    for _ in range(batches):
        f.step()
    return (time.perf_counter() - t) / batches


def measure(work, threads, batch, reps, batches, blas_gemm=False):
    """Interleaved repetitions of every framework on one workload; one result record."""
    import torch
    eddl.set_num_threads(threads)
    torch.set_num_threads(threads)
    runners = [Ours(work, batch), Torch(work, batch)]
    if work == "d":
        try:
            runners.append(Ort(work, threads, batch))
        except Exception as exc:  # pragma: no cover - optional peer
            print(f"onnxruntime skipped: {exc}")
    for r in runners:
        r.step()  # warm-up: buffers, workspaces, kernels
    times = {r.name: [] for r in runners}
    for _ in range(reps):
        for r in runners:
            times[r.name].append(timed(r, batches))
    med = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: (min(v), max(v)) for k, v in times.items()}
    return {"work": work, "threads": threads, "batch": batch, "blas_gemm": blas_gemm,
            "median_ms": {k: round(v * 1e3, 2) for k, v in med.items()},
            "range_ms": {k: [round(a * 1e3, 2), round(b * 1e3, 2)] for k, (a, b) in spread.items()},
            "ratio_vs_torch": round(med["eddl"] / med["torch"], 3)}


def scaling(reps, batches):
    """1->2 thread speed-up of the conv stack at batch 1 and 8, both frameworks."""
    rows = []
    for batch in (1, 8):
        r1, r2 = (measure("s", t, batch, reps, batches) for t in (1, 2))
        rows.append({"batch": batch, "ms_1_thread": r1["median_ms"], "ms_2_threads": r2["median_ms"],
                     "speedup": {k: round(r1["median_ms"][k] / r2["median_ms"][k], 3)
                                 for k in r1["median_ms"]}})
    print(f"{'batch':<6}" + "".join(f"{h:>22}" for h in ("eddl ms 1t / 2t", "torch ms 1t / 2t"))
          + f"{'eddl 1->2':>11}{'torch 1->2':>12}")
    for r in rows:
        cells = [f"{r['ms_1_thread'][k]:.1f} / {r['ms_2_threads'][k]:.1f}" for k in ("eddl", "torch")]
        print(f"{r['batch']:<6}" + "".join(f"{c:>22}" for c in cells)
              + f"{r['speedup']['eddl']:>10.2f}x{r['speedup']['torch']:>11.2f}x")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", nargs="+", default=["a", "d"], choices=list("abcds"))
    ap.add_argument("--threads", nargs="+", type=int, default=[2])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--batch", type=int, default=None, help="override every workload's batch")
    ap.add_argument("--blas-gemm", action="store_true",
                    help="let BLAS thread the batch-wide convolution GEMMs (eddl.backend.cpu.conv)")
    ap.add_argument("--scaling", action="store_true",
                    help="1->2 thread scaling of the conv stack at batch 1 and 8 (instead of --work)")
    args = ap.parse_args()
    import torch

    from eddl.backend.cpu import conv as cpu_conv
    cpu_conv.BLAS_THREADED_GEMM = args.blas_gemm
    info = {"benchmark": "train_cnn", "machine": platform.processor() or platform.machine(),
            "torch": torch.__version__}
    if args.scaling:
        print(json.dumps({**info, "scaling": scaling(args.reps, args.batches)}))
        return
    results = [measure(work, threads, args.batch, args.reps, args.batches, args.blas_gemm)
               for threads in args.threads for work in args.work]
    print(f"{'work':<5}{'thr':>4}  " + "".join(f"{k:>22}" for k in ("eddl ms", "torch ms", "ort ms"))
          + f"{'eddl/torch':>12}")
    for r in results:
        m, s = r["median_ms"], r["range_ms"]
        cells = [f"{m[k]:.1f} [{s[k][0]:.0f}-{s[k][1]:.0f}]" if k in m else "-"
                 for k in ("eddl", "torch", "onnxruntime")]
        print(f"{r['work']:<5}{r['threads']:>4}  " + "".join(f"{c:>22}" for c in cells)
              + f"{r['ratio_vs_torch']:>12.2f}")
    print(json.dumps({**info, "results": results}))


if __name__ == "__main__":
    main()
