"""Run by ``mpiexec`` from test_distributed.py: one scenario per call, results into a folder.

Usage: ``python _mpi_worker.py SCENARIO OUTDIR [ARGS...]``. Each rank writes
``OUTDIR/<scenario>-rank<r>.npz``. The models and data are built by functions the tests also
call in a single process, so both sides train the same network on the same samples.
"""

import os
import signal
import sys

import numpy as np

import eddl

N_FEATURES, N_CLASSES = 5, 3


def data(n, seed=0):
    """Inputs and one-hot targets of ``n`` samples."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, N_FEATURES)).astype(np.float32)
    y = np.eye(N_CLASSES, dtype=np.float32)[rng.integers(0, N_CLASSES, n)]
    return x, y


def mlp(cs, seed=1):
    """A small MLP with an L2 regularizer, trained with momentum SGD."""
    eddl.set_seed(seed)
    x = eddl.Input([N_FEATURES])
    h = eddl.ReLu(eddl.L2(eddl.Dense(x, 8), 0.01))
    h = eddl.Tanh(eddl.Dense(h, 6))
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, N_CLASSES))])
    eddl.build(net, eddl.sgd(0.1, 0.9), ["softmax_cross_entropy"], ["categorical_accuracy"], cs)
    return net


def linear(cs, seed=1):
    """A linear layer with mean squared error, trained with plain SGD."""
    eddl.set_seed(seed)
    x = eddl.Input([N_FEATURES])
    net = eddl.Model([x], [eddl.Dense(x, N_CLASSES, name="fc")])
    eddl.build(net, eddl.sgd(0.05, 0.0), ["mse"], ["mse"], cs)
    return net


def params(net):
    """Every parameter, in layer order, as float64 copies."""
    return [np.array(p, dtype=np.float64) for ps in net.get_parameters() for p in ps]


def _save(out, name, *arrays, **named):
    np.savez(os.path.join(out, f"{name}-rank{eddl.get_rank()}.npz"), *arrays, **named)


def step(out, batch, steps, profile=0):
    # rank r takes rows [r*B, (r+1)*B) of each block of 2B: together the block a single
    # process trains on with batch 2B
    eddl.set_profiling(bool(profile))  # the profiled backward pass must average the same
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1), bucket_cap_mb=0.0002))  # several buckets
    size, rank = eddl.get_world_size(), eddl.get_rank()
    x, y = data(batch * size * steps)
    for k in range(steps):
        idx = np.arange(batch) + k * batch * size + rank * batch
        net.train_batch([x], [y], idx)
    _save(out, "step", *params(net))


def fit(out, batch, epochs, n):
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1)))
    x, y = data(n)
    hist = eddl.fit(net, [x], [y], batch, epochs, verbose=1, shuffle=False)
    _save(out, "fit", *params(net), loss=[h["loss"][0] for h in hist],
          metric=[h["metric"][0] for h in hist])


def weights(out, batch, steps, every):
    net = linear(eddl.CS_MPI(eddl.CS_CPU(th=1), mode="weights", batch_avg=every))
    size, rank = eddl.get_world_size(), eddl.get_rank()
    init = params(net)
    x, y = data(batch * size * steps)
    for k in range(steps):
        idx = np.arange(batch) + k * batch * size + rank * batch
        net.train_batch([x], [y], idx)
    _save(out, "weights", *params(net), init_w=init[0], init_b=init[1])


def shard(out, n, epochs):
    net = linear(eddl.CS_MPI(eddl.CS_CPU(th=1)), seed=100 + eddl.get_rank())  # seeds differ
    _save(out, "shard", *[net._sync.shard(n, e, True) for e in range(1, epochs + 1)],
          weights=params(net)[0])


def replicas(out, mode):
    # a net with BatchNorm running statistics: every rank's data differ, the replicas must not
    eddl.set_seed(3)
    x = eddl.Input([N_FEATURES])
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Dense(x, 8)))
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, N_CLASSES))])
    cs = eddl.CS_MPI(eddl.CS_CPU(th=1), mode=mode, batch_avg=1 if mode == "gradients" else 3)
    eddl.build(net, eddl.sgd(0.05, 0.9), ["softmax_cross_entropy"], ["categorical_accuracy"], cs)
    xs, ys = data(40, seed=eddl.get_rank())  # even the arrays differ: only shares are used
    hist = eddl.fit(net, [xs], [ys], 4, 2, verbose=0)
    _save(out, "replicas", *params(net), loss=[h["loss"][0] for h in hist])


def policy(out, method):
    # the period of weight averaging follows the policy, epoch by epoch, equal on every rank
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1), mode="weights", batch_avg=1, avg_method=method,
                          max_batch_avg=4))
    xs, ys = data(32, seed=eddl.get_rank())
    periods = []
    for _ in range(4):
        eddl.fit(net, [xs], [ys], 4, 1, verbose=0)
        periods.append(net._sync.batch_avg)
    _save(out, "policy", *params(net), periods=periods)


def overlap(out):
    # the order of events in one step: each layer's backward, each bucket's start
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1), bucket_cap_mb=0.0001))
    events = []
    for l in net.layers:
        def traced(l=l, run=l.backward):
            run()
            events.append("backward " + l.name)
        l.backward = traced
    x, y = data(8)
    net._sync.begin_backward()
    reducer = net._sync._reducer

    def start(b, run=reducer._start):
        events.append("start " + ",".join(l.name for l in b.layers))
        run(b)
    reducer._start = start
    net.train_batch([x], [y], np.arange(4) + 4 * eddl.get_rank())
    with open(os.path.join(out, f"overlap-rank{eddl.get_rank()}.txt"), "w") as f:
        f.write("\n".join(events))


class _StopOnRank1(eddl.callbacks.Callback):
    def on_batch_end(self, batch, logs=None):
        if eddl.get_rank() == 1 and batch == 1:
            self.model.stop_training = True


def stop(out, n):
    # one rank asks to stop after its first batch; the ranks agree at the epoch's end
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1)))
    x, y = data(n)
    log = os.path.join(out, f"log-rank{eddl.get_rank()}.csv")
    hist = eddl.fit(net, [x], [y], 2, 5, verbose=0, callbacks=[_StopOnRank1(), eddl.callbacks.CSVLogger(log)])
    _save(out, "stop", epochs=len(hist))


def nan(out):
    # a non-finite loss on one rank only, with on_nan="warn"
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1)))
    x, y = data(8)
    if eddl.get_rank() == 1:
        x[:] = np.nan
    eddl.fit(net, [x], [y], 2, 1, verbose=0, on_nan="warn")


def distribute(out):
    # rank 0 changes one layer by hand and pushes it; the other layers keep the weights every
    # rank got at build
    net = mlp(eddl.CS_MPI(eddl.CS_CPU(th=1)))
    layer = net.layers[1]
    if eddl.get_rank() == 0:
        for p in layer.params:
            p[...] = np.arange(p.size, dtype=p.dtype).reshape(p.shape) / 7
    eddl.distributeParams(layer)
    _save(out, "distribute", *params(net))


def fail(out, how):
    eddl.init_distributed()
    if eddl.get_rank() == 1:
        if how == "raise":
            raise ValueError("failing on purpose")
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3)
    eddl.barrier_distributed()  # rank 0 waits here for a rank that never comes
    eddl.barrier_distributed()


if __name__ == "__main__":
    scenario, outdir, *args = sys.argv[1:]
    {"step": step, "fit": fit, "weights": weights, "shard": shard, "fail": fail, "stop": stop,
     "nan": nan, "replicas": replicas, "distribute": distribute, "overlap": overlap, "policy": policy}[scenario](
        outdir, *[int(a) if a.isdigit() else a for a in args])
    eddl.end_distributed()
