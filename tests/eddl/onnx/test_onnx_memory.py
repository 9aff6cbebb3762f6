"""Importing the same model again and again keeps memory flat (nothing accumulates in
caches, registries or name tables)."""

import gc
import os
import sys
import tracemalloc

import numpy as np

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _onnx_util import build  # noqa: E402


def _model_bytes(generic):
    x = eddl.Input([2, 8, 8], name="x")
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3])))
    h = eddl.Dense(eddl.Flatten(eddl.MaxPool2D(h, [2, 2])), 16)
    net = build([x], [eddl.Softmax(eddl.Dense(eddl.ReLu(h), 3))])
    model = eddl.onnx.to_onnx(net)
    if generic:
        del model.metadata_props[:]
    return model.SerializeToString()


def _import_many(data, n):
    xs = [np.zeros((2, 2, 8, 8), np.float32)]
    for _ in range(n):
        net = eddl.import_net_from_onnx_string(data)
        eddl.build(net, init_weights=False)
        eddl.predict(net, xs)
        del net
        gc.collect()


def _growth(data, n):
    _import_many(data, 3)  # warm caches that are filled once
    gc.collect()
    tracemalloc.start()
    try:
        _import_many(data, 2)
        start = tracemalloc.get_traced_memory()[0]
        _import_many(data, n)
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return end - start


def test_importing_50_times_keeps_memory_flat():
    for generic in (False, True):
        data = _model_bytes(generic)
        grew = _growth(data, 50)
        # each imported and built net takes about 70 kB (layers, buffers, weights): keeping one
        # per import adds about 3.5 MB over 50 imports; a flat loop grows by a few hundred bytes
        assert grew < 200_000, f"memory grew by {grew} bytes over 50 imports (generic={generic})"
