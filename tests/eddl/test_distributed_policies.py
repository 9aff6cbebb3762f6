"""EDDL's weight-averaging policies (set_avg_method_distributed's methods)."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.distributed.policies import POLICIES, AveragingPolicy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import _mpirun  # noqa: E402
from _mpirun import needs_mpi, ok  # noqa: E402

del sys.path[:2]


def _run(policy, epochs, secs=None, **kw):
    return [policy.end_epoch(e, secs[e] if secs else 1.0, **kw) for e in range(epochs)]


def test_fixed_inc_and_sawtooths():
    # EDDL mpi_distributed.cpp, update_batch_avg_distributed: AVG_INC doubles up to the maximum
    assert _run(AveragingPolicy("fixed", 3), 3) == [3, 3, 3]
    assert _run(AveragingPolicy("inc", 1, max_batch_avg=8), 5) == [2, 4, 8, 8, 8]
    assert _run(AveragingPolicy("inc", 1, epoch_avg=2, max_batch_avg=8), 4) == [1, 2, 2, 4]
    assert _run(AveragingPolicy("sawtooth", 2, max_batch_avg=8), 4) == [4, 8, 2, 4]
    p = AveragingPolicy("neg_sawtooth", 2, max_batch_avg=8)
    assert p.batch_avg == 8
    assert _run(p, 4) == [4, 2, 8, 4]


def test_auto_time_follows_eddl_thresholds():
    # faster by > 10 % or slower by > 3 %: double; otherwise shrink by a quarter
    p = AveragingPolicy("auto_time", 4, max_batch_avg=64)
    assert _run(p, 4, secs=[10.0, 8.0, 7.9, 9.0]) == [4, 8, 6, 12]


def test_limit_overhead_keeps_communication_at_its_share():
    # EDDL set_batch_avg_overhead_distributed: (1 - o) * comm / (o * train)
    p = AveragingPolicy("limit_overhead", 1, max_batch_avg=100, overhead=0.1)
    assert p.end_epoch(0, 1.0, secs_train_per_batch=0.01, secs_comm_per_average=0.004) == 4
    assert p.end_epoch(1, 1.0, secs_train_per_batch=0.01, secs_comm_per_average=1.0) == 100
    assert p.end_epoch(2, 1.0) == 100  # nothing measured: unchanged


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "bogus"}, "averaging method must be one of"),
    ({"batch_avg": 0}, "batch_avg must be a positive int"),
    ({"batch_avg": 8, "max_batch_avg": 4}, "max_batch_avg"),
    ({"overhead": 1.5}, "overhead must be a fraction")])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AveragingPolicy(**kwargs)


def test_cs_mpi_checks_the_policy():
    with pytest.raises(ValueError, match="needs mode='weights'"):
        eddl.CS_MPI(eddl.CS_CPU(th=1), avg_method="inc")
    with pytest.raises(ValueError, match="CS_MPI: averaging method"):
        eddl.CS_MPI(eddl.CS_CPU(th=1), mode="weights", avg_method="often")
    assert set(POLICIES) >= {"fixed", "inc", "auto_time", "limit_overhead"}


@needs_mpi
def test_two_ranks_follow_the_policy_and_stay_equal(tmp_path):
    proc, _ = _mpirun.run_mpi([os.path.join(HERE, "_mpi_worker.py"), "policy", tmp_path, "inc"])
    ok(proc)
    r0, r1 = (np.load(tmp_path / f"policy-rank{r}.npz") for r in (0, 1))
    np.testing.assert_array_equal(r0["periods"], [2, 4, 4, 4])
    np.testing.assert_array_equal(r0["periods"], r1["periods"])
    for k in r0.files:
        np.testing.assert_array_equal(r0[k], r1[k])
