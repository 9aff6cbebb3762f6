"""PyEDDL's module constants: ``MAX_THREADS`` and the ``LOG_LEVEL`` enum."""

import enum

import pytest

import eddl


def test_max_threads_is_eddls_and_bounds_cpu_services():
    # include/eddl/net/net.h: #define MAX_THREADS 1024 (per-thread buffers Xs[MAX_THREADS])
    assert eddl.MAX_THREADS == 1024
    assert eddl.CS_CPU(th=eddl.MAX_THREADS).local_threads == eddl.MAX_THREADS
    with pytest.raises(ValueError, match="MAX_THREADS"):
        eddl.CS_CPU(th=eddl.MAX_THREADS + 1)
    with pytest.raises(ValueError, match="threads"):
        eddl.CS_CPU(th=0)


def test_log_level_has_eddls_members_and_values():
    # include/eddl/serialization/onnx/utils_onnx.h: enum LOG_LEVEL {TRACE = 0, ..., NO_LOGS = 5}
    assert issubclass(eddl.LOG_LEVEL, enum.IntEnum)
    assert {m.name: int(m) for m in eddl.LOG_LEVEL} == {
        "TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "NO_LOGS": 5}
    assert eddl.LOG_LEVEL(2) is eddl.LOG_LEVEL.INFO
    assert eddl.utils.LOG_LEVEL is eddl.LOG_LEVEL


@pytest.mark.parametrize("level", list(eddl.LOG_LEVEL) + [3])
def test_onnx_import_accepts_a_log_level(tmp_path, level):
    pytest.importorskip("onnx")
    x = eddl.Input([4], name="x")
    net = eddl.Model([x], [eddl.Dense(x, 2, name="fc")])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=True)
    path = str(tmp_path / "net.onnx")
    eddl.save_net_to_onnx_file(net, path)
    back = eddl.import_net_from_onnx_file(path, log_level=level)
    assert [lay.name for lay in back.layers] == [lay.name for lay in net.layers]
