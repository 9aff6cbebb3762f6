"""Data-parallel training driven by a task engine: Dask workers exchange weights as ONNX.

The pattern of the EDDL deliverable D2.1 (section 3.5, Figure 8), where COMPSs tasks train
from serialized parameters and a master averages them: here the engine is Dask distributed
on a local cluster. Each round, the master sends the current weights (ONNX bytes) to every
worker with its shard of scikit-learn's digits; each worker builds the same net, loads the
weights (``set_weights_from_onnx``), trains one local epoch and returns its weights; the master
averages them (``eddl.onnx.average_weights``) and evaluates. With ``--mode gradients`` each
worker returns the gradients of one batch instead and the master applies their average
(``apply_grads_from_onnx``): synchronous data parallelism.

Needs ``pip install .[dask]``. The same task functions run under PyCOMPSs by decorating them
with ``@task`` (see docs/distributed.md).

Run: ``python examples/dask_onnx_workers.py [--workers 2] [--rounds 8] [--out dask_onnx]``
"""

import argparse
import os

import numpy as np

import eddl


def build_net():
    """The net every worker and the master build: the same architecture, the same names."""
    x = eddl.Input([64], name="x")
    h = eddl.ReLu(eddl.Dense(x, 64, name="fc1"), name="relu1")
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 10, name="fc2"), name="out")])
    eddl.build(net, eddl.sgd(0.05, 0.9), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(1))
    return net


def train_task(weights, x, y, batch, seed):
    """One worker's task: load the weights, train one epoch on its shard, return the weights."""
    eddl.set_seed(seed)
    net = build_net()
    eddl.set_weights_from_onnx(net, weights)
    eddl.fit(net, [x], [y], batch, 1, verbose=0)
    return eddl.serialize_net_to_onnx_string(net)


def gradient_task(weights, x, y):
    """One worker's task: the gradients of one batch at the given weights, as ONNX."""
    net = build_net()
    eddl.set_weights_from_onnx(net, weights)
    net.set_inputs([x])
    net.set_targets([y])
    net.forward()
    net.compute_losses()
    net.backward()
    return eddl.serialize_net_to_onnx_string(net, gradients=True)


def load_digits_split(seed=0):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[d.target]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--mode", choices=["weights", "gradients"], default="weights")
    ap.add_argument("--out", default="dask_onnx", help="folder for the curve PNG")
    args = ap.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    (xtr, ytr), (xte, yte) = load_digits_split()
    eddl.set_seed(0)
    master = build_net()
    history = []
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for r in range(args.rounds):
            weights = eddl.serialize_net_to_onnx_string(master)
            shards = np.array_split(np.random.default_rng(r).permutation(len(xtr)), args.workers)
            if args.mode == "weights":
                futures = [client.submit(train_task, weights, xtr[s], ytr[s], args.batch, 100 * r + k,
                                         pure=False) for k, s in enumerate(shards)]
                eddl.set_weights_from_onnx(master, eddl.onnx.average_weights(client.gather(futures)))
            else:
                steps = max(1, len(xtr) // (args.batch * args.workers))
                for step in range(steps):
                    futures = [client.submit(gradient_task, weights, xtr[s][step * args.batch:
                                             (step + 1) * args.batch], ytr[s][step * args.batch:
                                             (step + 1) * args.batch], pure=False) for s in shards]
                    eddl.apply_grads_from_onnx(master, eddl.onnx.average_weights(client.gather(futures)))
                    weights = eddl.serialize_net_to_onnx_string(master)
            loss, acc = eddl.evaluate(master, [xte], [yte], verbose=0)
            history.append({"val_loss": loss[0], "val_metric": acc[0]})
            print(f"round {r + 1}/{args.rounds}: test loss {loss[0]:.4f} accuracy {acc[0]:.3f}",
                  flush=True)
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "dask_onnx_rounds.png")
    from eddl.figures import save_training_curves

    save_training_curves(history, png, metric_name="test accuracy")
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
