"""Distributed training over MPI: the API in one process, and real ``mpiexec -n 2`` runs.

The MPI runs start ``mpiexec`` as a subprocess with a timeout (a hang fails the test instead of
blocking the suite); they are skipped when mpi4py or ``mpiexec`` is missing
(``pip install '.[mpi]'``).
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import eddl
from eddl.distributed import shard_indices
from eddl.distributed.buckets import plan_buckets

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "_mpi_worker.py")
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import _mpi_worker as worker  # noqa: E402
import _mpirun  # noqa: E402
from _mpirun import ROOT, needs_mpi, ok  # noqa: E402

del sys.path[:2]


def run_mpi(scenario, out, *args, n=2):
    """Run a worker scenario on ``n`` ranks; return (completed process, seconds)."""
    return _mpirun.run_mpi([WORKER, scenario, out, *args], n=n)


def ranks(out, scenario, n=2):
    """The arrays each rank saved."""
    return [np.load(os.path.join(out, f"{scenario}-rank{r}.npz")) for r in range(n)]


def positional(npz):
    return [npz[f"arr_{i}"] for i in range(len([k for k in npz.files if k.startswith("arr_")]))]


# --- in one process ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, size", [(1, 1), (10, 1), (10, 2), (11, 2), (7, 3), (2, 4), (100, 8)])
def test_shards_are_disjoint_complete_and_balanced(n, size):
    for epoch in (1, 2):
        shards = [shard_indices(n, epoch, r, size, seed=7) for r in range(size)]
        per_rank = -(-n // size)
        assert all(len(s) == per_rank for s in shards)
        allidx = np.concatenate(shards)
        assert set(allidx.tolist()) == set(range(n))
        # the padding repeats at most size - 1 samples, each once
        counts = np.bincount(allidx, minlength=n)
        assert counts.sum() - n == per_rank * size - n
        assert counts.max() <= 1 + -(-(per_rank * size - n) // n)


def test_shards_are_a_pure_function_of_seed_epoch_rank():
    a = shard_indices(50, 3, 1, 4, seed=11)
    np.testing.assert_array_equal(a, shard_indices(50, 3, 1, 4, seed=11))
    assert not np.array_equal(a, shard_indices(50, 4, 1, 4, seed=11))
    assert not np.array_equal(a, shard_indices(50, 3, 1, 4, seed=12))
    # one rank's shard is a single process's batch of size * B, in order
    order = np.random.default_rng([11, 3]).permutation(48)
    shards = [shard_indices(48, 3, r, 4, seed=11) for r in range(4)]
    for k in range(0, 12, 3):
        step = np.concatenate([s[k:k + 3] for s in shards])
        assert set(step.tolist()) == set(order[4 * k:4 * k + 12].tolist())


@pytest.mark.parametrize("bad", [dict(n=0), dict(rank=2), dict(rank=-1), dict(world_size=0),
                                 dict(n=3.0)])
def test_shard_indices_rejects_bad_arguments(bad):
    args = dict(n=10, epoch=1, rank=0, world_size=2) | bad
    with pytest.raises(ValueError, match="shard_indices"):
        shard_indices(**args)


def test_plan_buckets_keeps_order_and_cap():
    sizes = [3, 5, 2, 9, 1, 1, 4]
    buckets = plan_buckets(sizes, 8)
    assert [i for b in buckets for i in b] == list(range(len(sizes)))
    for b in buckets:
        assert len(b) == 1 or sum(sizes[i] for i in b) <= 8
    assert plan_buckets([1, 1, 1], 100) == [[0, 1, 2]]


@pytest.mark.parametrize("kwargs, match", [
    (dict(mode="avg"), "mode"), (dict(batch_avg=0), "batch_avg"),
    (dict(batch_avg=2), "needs mode='weights'"), (dict(bucket_cap_mb=0), "bucket_cap_mb"),
    (dict(seed=1.5), "seed"), (dict(cs="cpu"), "computing service")])
def test_cs_mpi_rejects_bad_settings(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        eddl.CS_MPI(**kwargs)


def test_distributed_functions_reject_bad_input():
    with pytest.raises(TypeError, match="communicator"):
        eddl.init_distributed(comm=5)
    with pytest.raises(ValueError, match="NCCL"):
        eddl.init_distributed("NCCL")
    x = eddl.Input([3])
    net = eddl.Model([x], [eddl.Dense(x, 2)])
    for fn in (eddl.bcast_weights_distributed, eddl.avg_weights_distributed,
               eddl.avg_metrics_distributed):
        with pytest.raises(RuntimeError, match="not built"):
            fn(net)


def test_import_eddl_does_not_load_mpi4py():
    code = "import sys, eddl; assert 'mpi4py' not in sys.modules; print(eddl.get_world_size())"
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_world_of_one_trains_as_the_wrapped_service():
    # in a single process a distributed service is its local one (a warning without mpi4py)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dist = worker.mlp(eddl.CS_MPI(eddl.CS_CPU(th=1)))
    local = worker.mlp(eddl.CS_CPU(th=1))
    x, y = worker.data(16)
    for k in range(2):
        for net in (dist, local):
            net.train_batch([x], [y], np.arange(8) + 8 * k)
    for a, b in zip(worker.params(dist), worker.params(local)):
        np.testing.assert_array_equal(a, b)


# --- over MPI ---------------------------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize("profile", [0, 1])
def test_two_ranks_match_one_process_with_twice_the_batch(tmp_path, profile):
    batch, steps = 4, 3
    proc, _ = run_mpi("step", tmp_path, batch, steps, profile)
    ok(proc)
    r0, r1 = (positional(r) for r in ranks(tmp_path, "step"))
    ref = worker.mlp(eddl.CS_CPU(th=1))
    x, y = worker.data(2 * batch * steps)
    for k in range(steps):
        ref.train_batch([x], [y], np.arange(2 * batch) + 2 * batch * k)
    expected = worker.params(ref)
    assert len(r0) == len(expected)
    for a, b, e in zip(r0, r1, expected):
        np.testing.assert_array_equal(a, b)  # the replicas stay identical
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
    # and they moved: the comparison is not between two initial states
    init = worker.params(worker.mlp(eddl.CS_CPU(th=1)))
    assert max(np.abs(a - i).max() for a, i in zip(r0, init)) > 1e-3


@needs_mpi
def test_fit_on_shards_matches_one_process_fit(tmp_path):
    batch, epochs, n = 4, 2, 24
    proc, _ = run_mpi("fit", tmp_path, batch, epochs, n)
    ok(proc)
    assert proc.stdout.count(f"Epoch {epochs}/{epochs} ") == 1  # only rank 0 prints
    r0, r1 = ranks(tmp_path, "fit")
    ref = worker.mlp(eddl.CS_CPU(th=1))
    x, y = worker.data(n)
    hist = eddl.fit(ref, [x], [y], 2 * batch, epochs, verbose=0, shuffle=False)
    for a, b, e in zip(positional(r0), positional(r1), worker.params(ref)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
    for r in (r0, r1):  # metrics reduced over the ranks: the whole epoch's means
        np.testing.assert_allclose(r["loss"], [h["loss"][0] for h in hist], rtol=1e-5)
        np.testing.assert_allclose(r["metric"], [h["metric"][0] for h in hist], rtol=1e-6)


@needs_mpi
@pytest.mark.parametrize("mode", ["gradients", "weights"])
def test_replicas_and_batchnorm_statistics_agree_after_fit(tmp_path, mode):
    proc, _ = run_mpi("replicas", tmp_path, mode)
    ok(proc)
    r0, r1 = ranks(tmp_path, "replicas")
    a, b = positional(r0), positional(r1)
    assert len(a) == 8  # two Dense (W, bias), BatchNorm (gamma, beta, mean, variance)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(r0["loss"], r1["loss"])


@needs_mpi
def test_gradient_buckets_start_during_the_backward_pass(tmp_path):
    proc, _ = run_mpi("overlap", tmp_path)
    ok(proc)
    events = (tmp_path / "overlap-rank0.txt").read_text().splitlines()
    assert events == (tmp_path / "overlap-rank1.txt").read_text().splitlines()
    starts = [i for i, e in enumerate(events) if e.startswith("start ")]
    backwards = [i for i, e in enumerate(events) if e.startswith("backward ")]
    assert len(starts) >= 2 and starts[0] < backwards[-1]  # sent while others compute
    for i in starts:  # a bucket starts once all its layers are done, not before
        for name in events[i].split(" ", 1)[1].split(","):
            assert events.index("backward " + name) < i
    sent = {n for i in starts for n in events[i].split(" ", 1)[1].split(",")}
    assert sent == {"dense1", "dense2", "dense3"}


def _simulate_weight_averaging(w, b, x, y, batch, size, steps, every, lr):
    """Local SGD on each rank's rows of a linear layer with EDDL's mse, averaged every N steps."""
    ws, bs = [w.copy() for _ in range(size)], [b.copy() for _ in range(size)]
    for k in range(steps):
        for r in range(size):
            rows = np.arange(batch) + k * batch * size + r * batch
            xb, tb = x[rows].astype(np.float64), y[rows].astype(np.float64)
            delta = (xb @ ws[r] + bs[r] - tb) / batch  # d(batch-mean loss)/dy of EDDL's mse
            ws[r] = ws[r] - lr * xb.T @ delta
            bs[r] = bs[r] - lr * delta.sum(0)
        if (k + 1) % every == 0:
            ws = [np.mean(ws, axis=0)] * size
            bs = [np.mean(bs, axis=0)] * size
    return ws, bs


@needs_mpi
@pytest.mark.parametrize("steps, every", [(7, 3), (4, 1)])
def test_weight_averaging_matches_numpy_simulation(tmp_path, steps, every):
    batch = 4
    proc, _ = run_mpi("weights", tmp_path, batch, steps, every)
    ok(proc)
    saved = ranks(tmp_path, "weights")
    x, y = worker.data(batch * 2 * steps)
    ws, bs = _simulate_weight_averaging(saved[0]["init_w"], saved[0]["init_b"], x, y, batch, 2,
                                        steps, every, lr=0.05)
    for r, s in enumerate(saved):
        np.testing.assert_array_equal(s["init_w"], saved[0]["init_w"])  # broadcast from rank 0
        w, b = positional(s)
        np.testing.assert_allclose(w, ws[r], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, bs[r], rtol=1e-5, atol=1e-6)
    if steps % every:  # the last steps were local: the replicas differ
        assert not np.allclose(positional(saved[0])[0], positional(saved[1])[0])


@needs_mpi
def test_ranks_share_data_order_and_initial_weights(tmp_path):
    n, epochs = 11, 2
    proc, _ = run_mpi("shard", tmp_path, n, epochs)  # each rank seeds itself differently
    ok(proc)
    r0, r1 = ranks(tmp_path, "shard")
    np.testing.assert_array_equal(r0["weights"], r1["weights"])
    for e in range(epochs):
        a, b = r0[f"arr_{e}"], r1[f"arr_{e}"]
        assert len(a) == len(b) == 6
        assert set(a.tolist()) | set(b.tolist()) == set(range(n))
        assert len(set(a.tolist()) & set(b.tolist())) <= 1  # one padded repeat
    assert not np.array_equal(r0["arr_0"], r0["arr_1"])  # a new order each epoch


@needs_mpi
def test_distribute_params_pushes_one_layer_from_rank_0(tmp_path):
    proc, _ = run_mpi("distribute", tmp_path)
    ok(proc)
    a, b = (positional(r) for r in ranks(tmp_path, "distribute"))
    assert len(a) == len(b) > 2
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # the pushed layer holds rank 0's hand-set values
    np.testing.assert_allclose(a[0].ravel(), np.arange(a[0].size) / 7, rtol=1e-6)


def test_distribute_params_in_one_process():
    x = eddl.Input([3])
    dense = eddl.Dense(x, 2)
    with pytest.raises(RuntimeError, match="no built model"):
        eddl.distributeParams(dense)
    net = eddl.Model([x], [dense])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU())
    before = [p.copy() for p in dense.params]
    eddl.distributeParams(dense)  # a world of one: nothing to push
    for p, q in zip(before, dense.params):
        np.testing.assert_array_equal(p, q)


@needs_mpi
def test_a_stop_asked_by_one_rank_stops_every_rank_at_the_epoch_end(tmp_path):
    proc, _ = run_mpi("stop", tmp_path, 16)
    ok(proc)
    assert [int(r["epochs"]) for r in ranks(tmp_path, "stop")] == [1, 1]
    # the file-writing callback ran on rank 0 only
    assert os.path.exists(tmp_path / "log-rank0.csv")
    assert not os.path.exists(tmp_path / "log-rank1.csv")


@needs_mpi
def test_a_non_finite_loss_on_one_rank_ends_the_job(tmp_path):
    proc, secs = run_mpi("nan", tmp_path)
    assert proc.returncode != 0
    assert "rank 1 of 2 failed" in proc.stderr and "non-finite loss" in proc.stderr
    assert secs < 60


@needs_mpi
def test_a_raising_rank_aborts_the_job_naming_it(tmp_path):
    proc, secs = run_mpi("fail", tmp_path, "raise")
    assert proc.returncode != 0
    assert "rank 1 of 2 failed" in proc.stderr
    assert "failing on purpose" in proc.stderr
    assert secs < 60


@needs_mpi
@pytest.mark.parametrize("how", ["die", "kill"])
def test_a_dead_rank_ends_the_job_naming_it(tmp_path, how):
    # os._exit and SIGKILL run no Python code of the rank: its watcher names it. The watcher
    # races the launcher, which stops forwarding output once it has ended the job: on a
    # loaded machine the message can come too late, so the job is tried up to three times;
    # every try must end the job and never name the rank that was ended by the launcher.
    named = False
    for _ in range(3):
        proc, secs = run_mpi("fail", tmp_path, how)
        assert proc.returncode != 0
        assert "rank 0 of 2" not in proc.stderr
        assert secs < 60
        named = "rank 1 of 2" in proc.stderr and "ended without a Python exception" in proc.stderr
        if named:
            break
    assert named, proc.stderr
