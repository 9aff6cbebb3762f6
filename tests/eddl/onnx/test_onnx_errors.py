"""Invalid, unsupported and hostile ONNX models: each is refused with one clear
``eddl.onnx.ONNXImportError`` (a ValueError) naming the node or tensor, never a crash, a hang
or an unbounded allocation."""

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import eddl
from eddl.onnx import ONNXImportError

sys.path.insert(0, os.path.dirname(__file__))
from _onnx_util import build  # noqa: E402

N = helper.make_node


@pytest.fixture
def small_limit():
    """Tensors of more than 10**6 elements are refused during the test."""
    old = eddl.onnx.set_max_tensor_elements(10**6)
    yield 10**6
    eddl.onnx.set_max_tensor_elements(old)


def _raw_model(nodes, inputs, outputs, inits=(), opset=13):
    """A model built without shape inference (which would refuse some of these graphs)."""
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def _vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def test_onnx_import_error_is_a_value_error():
    assert issubclass(ONNXImportError, ValueError)


def test_every_unsupported_node_is_listed_once():
    nodes = [N("Sin", ["x"], ["a"], name="sin1"), N("Relu", ["a"], ["b"], name="ok"),
             N("Hardmax", ["b"], ["c"], name="hmax"), N("Cos", ["c"], ["d"], name="cos1"),
             N("MyOp", ["d"], ["y"], name="custom", domain="com.example")]
    m = _raw_model(nodes, [_vi("x", ["N", 4])], [_vi("y", ["N", 4])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(ONNXImportError) as info:
        eddl.onnx.from_onnx(m)
    msg = str(info.value)
    assert "4 unsupported node(s)" in msg
    for text in ("Sin", "'sin1'", "Hardmax", "'hmax'", "Cos", "'cos1'", "MyOp", "com.example"):
        assert text in msg
    assert "'ok'" not in msg


def test_op_schema_not_supported_at_opset_is_listed():
    # Gelu exists from opset 20 only; a model of opset 13 that uses it is refused
    m = _raw_model([N("Gelu", ["x"], ["y"], name="g1")], [_vi("x", ["N", 3])], [_vi("y", ["N", 3])])
    with pytest.raises(ONNXImportError, match="Gelu.*'g1'"):
        eddl.onnx.from_onnx(m)


def test_cycle_is_refused_naming_a_node():
    nodes = [N("Add", ["x", "t2"], ["t1"], name="add1"), N("Relu", ["t1"], ["t2"], name="relu1"),
             N("Identity", ["t2"], ["y"], name="out")]
    m = _raw_model(nodes, [_vi("x", ["N", 3])], [_vi("y", ["N", 3])])
    with pytest.raises(ONNXImportError, match="add1|relu1"):
        eddl.onnx.from_onnx(m)


def test_cycle_is_refused_by_the_walk_too():
    from eddl.onnx.graph_import import _topological

    nodes = [N("Add", ["x", "t2"], ["t1"], name="add1"), N("Relu", ["t1"], ["t2"], name="relu1")]
    g = helper.make_graph(nodes, "g", [_vi("x", ["N", 3])], [_vi("t2", ["N", 3])])
    with pytest.raises(ONNXImportError, match="cycle through node '(add1|relu1)'"):
        _topological(g, {"x"})


def test_missing_input_is_named():
    m = _raw_model([N("Add", ["x", "nowhere"], ["y"], name="add1")], [_vi("x", ["N", 3])],
                   [_vi("y", ["N", 3])])
    with pytest.raises(ONNXImportError, match="nowhere"):
        eddl.onnx.from_onnx(m)


def test_value_produced_twice_is_named():
    from eddl.onnx.graph_import import _topological

    nodes = [N("Relu", ["x"], ["t"], name="a"), N("Sigmoid", ["x"], ["t"], name="b")]
    g = helper.make_graph(nodes, "g", [_vi("x", ["N", 3])], [_vi("t", ["N", 3])])
    with pytest.raises(ONNXImportError, match="'t' is produced twice"):
        _topological(g, {"x"})


def test_initializer_with_wrong_dims_is_named():
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "fc.W")
    w.dims[:] = [4, 5]  # 20 elements declared, 12 stored
    m = _raw_model([N("MatMul", ["x", "fc.W"], ["y"], name="mm")], [_vi("x", ["N", 4])],
                   [_vi("y", ["N", 5])], [w])
    with pytest.raises(ONNXImportError, match="fc.W"):
        eddl.onnx.from_onnx(m)


def test_weight_of_wrong_shape_for_the_node_is_named():
    m = _raw_model(
        [N("Conv", ["x", "w"], ["y"], name="conv1")], [_vi("x", ["N", 3, 5, 5])],
        [_vi("y", ["N", 2, 3, 3])], [numpy_helper.from_array(np.ones((2, 4, 3, 3), np.float32), "w")])
    with pytest.raises(ONNXImportError, match="conv1.*4 input channels"):
        eddl.onnx.from_onnx(m)


def test_negative_or_huge_initializer_dims(small_limit):
    t = onnx.TensorProto(name="big", data_type=TensorProto.FLOAT, dims=[2000, 2000])
    m = _raw_model([N("Add", ["x", "big"], ["y"], name="add")], [_vi("x", ["N", 2000])],
                   [_vi("y", ["N", 2000])], [t])
    with pytest.raises(ONNXImportError, match="'big'"):
        eddl.onnx.from_onnx(m)
    t.dims[:] = [-1, 4]
    with pytest.raises(ONNXImportError, match="'big'"):
        eddl.onnx.from_onnx(m)


@pytest.mark.parametrize("op, inputs, inits", [
    ("ConstantOfShape", ["s"], {"s": np.asarray([100000, 100000], np.int64)}),
    ("Expand", ["k", "s"], {"k": np.ones(1, np.float32), "s": np.asarray([4000, 4000], np.int64)}),
    ("Tile", ["k", "s"], {"k": np.ones(4, np.float32), "s": np.asarray([10**7], np.int64)}),
    ("Range", ["a", "b", "c"], {"a": np.asarray(0.0, np.float32), "b": np.asarray(1e12, np.float32),
                                "c": np.asarray(1.0, np.float32)}),
])
def test_absurd_constant_sizes_are_refused(small_limit, op, inputs, inits):
    nodes = [N(op, inputs, ["big"], name="huge"), N("Shape", ["big"], ["s2"], name="shape"),
             N("Cast", ["s2"], ["f"], to=TensorProto.FLOAT, name="cast"),
             N("ReduceSum", ["f"], ["k2"], keepdims=0, name="sum"), N("Mul", ["x", "k2"], ["y"], name="mul")]
    m = _raw_model(nodes, [_vi("x", ["N", 2])], [_vi("y", ["N", 2])],
                   [numpy_helper.from_array(v, k) for k, v in inits.items()])
    with pytest.raises(ONNXImportError, match=f"huge.*{op}.*limit"):
        eddl.onnx.from_onnx(m)


def test_huge_layer_output_is_refused(small_limit):
    m = _raw_model([N("Resize", ["x", "", "", "s"], ["y"], name="up")], [_vi("x", ["N", 1, 4, 4])],
                   [_vi("y", ["N", 1, 4000, 4000])],
                   [numpy_helper.from_array(np.asarray([1, 1, 4000, 4000], np.int64), "s")])
    with pytest.raises(ONNXImportError, match="up.*element limit"):
        eddl.onnx.from_onnx(m)


def _good_bytes():
    x = eddl.Input([4], name="x")
    net = build([x], [eddl.Softmax(eddl.Dense(eddl.ReLu(eddl.Dense(x, 5)), 3))])
    return eddl.serialize_net_to_onnx_string(net)


@pytest.mark.parametrize("cut", [1, 7, 40, 0.5, 0.9, -1])
def test_truncated_bytes(cut):
    data = _good_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else (cut if cut > 0 else len(data) - 1)
    with pytest.raises(ONNXImportError):
        eddl.import_net_from_onnx_string(data[:n])


def test_truncated_file_names_the_file(tmp_path):
    p = tmp_path / "cut.onnx"
    p.write_bytes(_good_bytes()[:50])
    with pytest.raises(ONNXImportError, match="cut.onnx"):
        eddl.import_net_from_onnx_file(str(p))
    with pytest.raises(FileNotFoundError, match="absent.onnx"):
        eddl.import_net_from_onnx_file(str(tmp_path / "absent.onnx"))


@pytest.mark.parametrize("opset", [7, 12, 24, 30])
def test_opset_out_of_range(opset):
    m = _raw_model([N("Relu", ["x"], ["y"])], [_vi("x", ["N", 3])], [_vi("y", ["N", 3])], opset=opset)
    with pytest.raises(ONNXImportError, match=f"opset {opset} is outside the supported range 13-23"):
        eddl.onnx.from_onnx(m)


def test_no_default_opset():
    m = _raw_model([N("Relu", ["x"], ["y"])], [_vi("x", ["N", 3])], [_vi("y", ["N", 3])])
    del m.opset_import[:]
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(ONNXImportError, match="no opset of the default domain"):
        eddl.onnx.from_onnx(m)


def test_symbolic_sample_dims_need_input_shape():
    m = _raw_model([N("Relu", ["x"], ["y"])], [_vi("x", ["N", "C"])], [_vi("y", ["N", "C"])])
    with pytest.raises(ONNXImportError, match="input_shape"):
        eddl.onnx.from_onnx(m)
    net = eddl.onnx.from_onnx(m, input_shape=[5])
    assert net.lin[0].shape == (5,)


def test_batch_mixing_nodes_are_refused_by_name():
    cases = [
        (N("ReduceMean", ["x"], ["y"], axes=[0], name="rm"), "rm.*batch axis"),
        (N("Transpose", ["x"], ["y"], perm=[1, 0], name="tr"), "tr.*batch"),
        (N("Softmax", ["x"], ["y"], axis=0, name="sm"), "sm.*batch axis"),
    ]
    for node, pattern in cases:
        m = _raw_model([node], [_vi("x", ["N", 3])], [_vi("y", None)])
        m.graph.output[0].type.tensor_type.shape.dim.add().dim_param = "a"
        m.graph.output[0].type.tensor_type.shape.dim.add().dim_param = "b"
        with pytest.raises(ONNXImportError, match=pattern):
            eddl.onnx.from_onnx(m)


def test_not_bytes():
    with pytest.raises(TypeError):
        eddl.import_net_from_onnx_string(3.5)
    with pytest.raises(ONNXImportError):
        eddl.import_net_from_onnx_string(b"\x00\x01garbage" * 10)


def test_zero_stride_is_refused_by_name():
    m = _raw_model([N("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[0, 1], name="c0")],
                   [_vi("x", ["N", 1, 5, 5])], [_vi("y", ["N", 1, 5, 5])],
                   [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")])
    with pytest.raises(ONNXImportError, match="c0.*strides"):
        eddl.onnx.from_onnx(m)


def test_pad_axis_out_of_range_is_refused_by_name():
    m = _raw_model([N("Pad", ["x", "p", "", "a"], ["y"], name="p0")], [_vi("x", ["N", 3, 4])],
                   [_vi("y", ["N", 3, 6])],
                   [numpy_helper.from_array(np.asarray([1, 1], np.int64), "p"),
                    numpy_helper.from_array(np.asarray([5], np.int64), "a")], opset=18)
    with pytest.raises(ONNXImportError, match="p0.*axis 5 out of range"):
        eddl.onnx.from_onnx(m)


def _mutate(model, rng):
    """A copy of ``model`` with one attribute, int64 initializer entry or input dim changed."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    kind = rng.integers(3)
    if kind == 0:
        attrs = [a for n in m.graph.node for a in n.attribute
                 if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)]
        if attrs:
            a = attrs[rng.integers(len(attrs))]
            values = [-3, -1, 0, 1, 2, 5, 100, 2**40]
            if a.type == onnx.AttributeProto.INT:
                a.i = int(rng.choice(values))
            else:
                a.ints[:] = [int(rng.choice(values[:-1])) for _ in range(rng.integers(len(a.ints) + 2))]
    elif kind == 1:
        ints = [t for t in m.graph.initializer if t.data_type == TensorProto.INT64]
        if ints:
            t = ints[rng.integers(len(ints))]
            a = numpy_helper.to_array(t).copy()
            if a.size:
                a.reshape(-1)[rng.integers(a.size)] = rng.choice([-5, -1, 0, 1, 3, 1000, 2**31])
                t.CopyFrom(numpy_helper.from_array(a, t.name))
    else:
        dims = m.graph.input[0].type.tensor_type.shape.dim
        if len(dims) > 1:
            dims[int(rng.integers(1, len(dims)))].dim_value = int(rng.choice([0, 1, 2, 3, 7]))
    return m


def test_mutated_models_raise_only_import_errors(small_limit):
    """Valid hand-built models with one attribute, shape entry or input dim changed: import,
    build and a forward pass succeed, or an ONNXImportError is raised."""
    import test_onnx_import as cases

    rng = np.random.default_rng(0)
    picked = [cases.CASES[i] for i in rng.choice(len(cases.CASES), 60, replace=False)]
    for p in picked:
        base = cases._model(*p.values)
        for _ in range(5):
            m = _mutate(base, rng)
            try:
                net = eddl.onnx.from_onnx(m)
                eddl.build(net, init_weights=False)
                with np.errstate(all="ignore"):
                    eddl.predict(net, [np.zeros((2,) + l.shape, np.float32) for l in net.lin])
            except ONNXImportError:
                pass


def test_every_unsupported_attribute_is_listed_in_one_error():
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2], name="moves_batch"),
         helper.make_node("Relu", ["t"], ["r"], name="after_refused"),
         helper.make_node("Gelu", ["x"], ["g"], approximate="tanh", name="tanh_gelu"),
         helper.make_node("Add", ["r", "g"], ["y"], name="join")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    with pytest.raises(eddl.onnx.ONNXImportError) as info:
        eddl.onnx.from_onnx(m)
    msg = str(info.value)
    assert "2 problems" in msg and "moves_batch" in msg and "tanh_gelu" in msg
    assert "after_refused" not in msg and "join" not in msg
