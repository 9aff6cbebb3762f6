"""Shared helpers of the ONNX tests: running a model in onnxruntime and in the ONNX
reference evaluator, our own inference, building tiny nets, and hand-made graphs."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import eddl

BATCHES = (1, 3)


def build(ins, outs, seed=0, **kw):
    """A model of ``ins``/``outs`` built with random weights (fixed seed)."""
    eddl.set_seed(seed)
    net = eddl.Model(list(ins), list(outs))
    eddl.build(net, **kw)
    return net


def ours(net, xs):
    """Our inference outputs (``predict``, test mode) as float32 arrays."""
    return [np.asarray(y, dtype=np.float32) for y in eddl.predict(net, list(xs), bs=len(xs[0]))]


def ort_run(model, feeds):
    """Outputs of onnxruntime (CPU, one thread) for ``feeds`` (``{name: array}``)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    data = model if isinstance(model, bytes) else model.SerializeToString()
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def ref_run(model, feeds):
    """Outputs of ``onnx.reference.ReferenceEvaluator`` for ``feeds``."""
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(model).run(None, feeds)


def assert_close(got, want, tol=1e-4, what=""):
    """``|got - want| <= tol * max(1, |want|)`` element-wise (absolute near 0, relative when large)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    worst = float(err.max()) if err.size else 0.0
    assert worst <= tol, f"{what}: largest scaled difference {worst:.3g} > {tol}"


def inputs(net, rng, batch, low=-2.0, high=2.0):
    """One random float32 array per input layer of ``net``."""
    return [rng.uniform(low, high, (batch,) + tuple(l.shape)).astype(np.float32) for l in net.lin]


def feeds_of(net, xs):
    return {l.name: x for l, x in zip(net.lin, xs)}


def check_export(net, rng, low=-2.0, high=2.0, make_inputs=None, tol=1e-4):
    """Export ``net``, check the model fully, and compare onnxruntime and the reference
    evaluator with our inference at every batch size of :data:`BATCHES`; return the model."""
    model = eddl.onnx.to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    for b in BATCHES:
        xs = make_inputs(b) if make_inputs else inputs(net, rng, b, low, high)
        want = ours(net, xs)
        feeds = feeds_of(net, xs)
        for runner in (ort_run, ref_run):
            got = runner(model, feeds)
            assert len(got) == len(want)
            for k, (g, w) in enumerate(zip(got, want)):
                assert_close(g, w, tol, f"{runner.__name__} batch {b} output {k}")
    return model


# -- hand-built graphs -------------------------------------------------------------------
def tensor_input(name, sample_shape, batch="N"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [batch] + list(sample_shape))


def make_model(nodes, in_shapes, out_names=("y",), inits=(), opset=13, in_names=None):
    """A float32 model: ``in_shapes`` are per-sample shapes (batch axis dynamic); ``inits``
    a dict or list of ``(name, array)``."""
    in_names = in_names or ([f"x{k}" for k in range(len(in_shapes))] if len(in_shapes) > 1
                            else ["x"])
    items = inits.items() if isinstance(inits, dict) else inits
    graph = helper.make_graph(
        nodes, "g", [tensor_input(n, s) for n, s in zip(in_names, in_shapes)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in out_names],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in items])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 9)
    # the checker wants typed outputs with shapes: let shape inference write them, and where
    # it cannot, give the output the rank onnxruntime computes, with symbolic dims
    model = onnx.shape_inference.infer_shapes(model)
    missing = [o for o in model.graph.output if not o.type.tensor_type.HasField("shape")]
    if missing:
        feeds = {i.name: np.zeros([1] + list(s), np.float32) for i, s in zip(model.graph.input, in_shapes)}
        ranks = {o.name: np.ndim(v) for o, v in zip(model.graph.output, ort_run(model, feeds))}
        for o in missing:
            o.type.tensor_type.shape.dim.extend(
                [onnx.TensorShapeProto.Dimension(dim_param=f"{o.name}_{k}") for k in range(ranks[o.name])])
    return model


def import_and_compare(model, rng, in_shapes=None, low=-2.0, high=2.0, tol=1e-4, batches=BATCHES,
                       make_inputs=None):
    """Import ``model``, build it keeping its weights, and compare with onnxruntime; return the net."""
    net = eddl.onnx.from_onnx(model)
    eddl.build(net, init_weights=False)
    for b in batches:
        xs = make_inputs(b) if make_inputs else inputs(net, rng, b, low, high)
        want = ort_run(model, feeds_of(net, xs))
        got = ours(net, xs)
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, tol, f"import batch {b} output {k}")
    return net
