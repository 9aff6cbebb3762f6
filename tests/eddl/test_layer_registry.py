"""The layer registry: every registered layer round-trips through its configuration.

Each registered layer class has a case below (a small graph built with PyEDDL factories and
representative arguments); a model holding it is written to a config dict and to JSON, rebuilt,
given the same weights, and must compute the same outputs. A registered class without a case
fails :func:`test_every_registered_layer_has_a_case`.
"""

import json

import numpy as np
import pytest

import eddl
from eddl.layers.registry import LAYERS, PYEDDL, layer_class

# class name -> (input shapes, function of the Input layers returning the layer under test)
CASES = {
    "Input": ([[3, 4]], lambda x: x),
    "Dense": ([[5]], lambda x: eddl.Dense(x, 3, use_bias=False)),
    "Dropout": ([[6]], lambda x: eddl.Dropout(x, 0.3, iw=False)),
    "Activation": ([[2, 5]], lambda x: eddl.LeakyReLu(x, 0.2)),
    "Reshape": ([[2, 6]], lambda x: eddl.Reshape(x, [3, -1])),
    "Flatten": ([[2, 3, 2]], lambda x: eddl.Flatten(x)),
    "Squeeze": ([[3, 1, 2]], lambda x: eddl.Squeeze(x, 1)),
    "Unsqueeze": ([[3, 2]], lambda x: eddl.Unsqueeze(x, 1)),
    "Permute": ([[2, 3, 4]], lambda x: eddl.Permute(x, [2, 0, 1])),
    "Transpose": ([[2, 3]], lambda x: eddl.Transpose(x)),
    "Select": ([[4, 5]], lambda x: eddl.Select(x, ["1:3", ":"])),
    "Add": ([[3], [3]], lambda a, b: eddl.Add([a, b])),
    "Average": ([[3], [3], [3]], lambda a, b, c: eddl.Average([a, b, c])),
    "Subtract": ([[3], [3]], lambda a, b: eddl.Diff(a, b)),
    "Mult": ([[3], [3]], lambda a, b: eddl.Mult(a, b)),
    "Div": ([[3], [3]], lambda a, b: eddl.Div(a, b)),
    "Maximum": ([[3], [3]], lambda a, b: eddl.Maximum([a, b])),
    "Minimum": ([[3], [3]], lambda a, b: eddl.Minimum([a, b])),
    "Concat": ([[2, 3], [4, 3]], lambda a, b: eddl.Concat([a, b], 0)),
    "Unary": ([[4]], lambda x: eddl.Log2(x)),
    "Scalar": ([[4]], lambda x: eddl.Sub(1.5, x)),
    "Clamp": ([[4]], lambda x: eddl.Clip(x, 0.7, 1.2)),
    "Reduce": ([[3, 4]], lambda x: eddl.ReduceMean(x, [1], True)),
    "GaussianNoise": ([[4]], lambda x: eddl.GaussianNoise(x, 0.5)),
    "Conv1D": ([[2, 9]], lambda x: eddl.Conv1D(x, 3, [3], [2], "valid")),
    "Conv2D": ([[4, 7, 6]], lambda x: eddl.Conv2D(x, 4, [3, 2], [1, 2], "same", True, 2,
                                                  [2, 1])),
    "Conv3D": ([[1, 4, 5, 4]], lambda x: eddl.Conv3D(x, 2, [2, 2, 2], padding=[0, 1, 1])),
    "ConvT1D": ([[2, 5]], lambda x: eddl.layers.ConvT1D(x, 3, 3, 2, "valid")),
    "ConvT2D": ([[2, 4, 4]], lambda x: eddl.ConvT2D(x, 3, [3, 3], [2, 2], "valid")),
    "ConvT3D": ([[2, 3, 3, 3]], lambda x: eddl.ConvT3D(x, 1, [2, 2, 2])),
    "MaxPool": ([[2, 7, 7]], lambda x: eddl.MaxPool2D(x, [3, 3], [2, 2], "same", ceil_mode=True)),
    "AveragePool": ([[2, 9]], lambda x: eddl.AvgPool1D(x, [3], [2])),
    "GlobalMaxPool": ([[2, 3, 4, 5]], lambda x: eddl.GlobalMaxPool3D(x)),
    "GlobalAveragePool": ([[3, 4, 5]], lambda x: eddl.GlobalAvgPool(x)),
    "BatchNormalization": ([[3, 4, 4]], lambda x: eddl.BatchNormalization(x, True, 0.8, 1e-3)),
    "GroupNormalization": ([[4, 3, 3]], lambda x: eddl.GroupNormalization(x, 2)),
    "LayerNormalization": ([[3, 5]], lambda x: eddl.LayerNormalization(x, False)),
    "Norm": ([[2, 3, 3]], lambda x: eddl.Norm(x, 0.01)),
    "NormMax": ([[2, 3, 3]], lambda x: eddl.NormMax(x)),
    "NormMinMax": ([[2, 3, 3]], lambda x: eddl.NormMinMax(x)),
    "UpSampling2D": ([[2, 3, 4]], lambda x: eddl.UpSampling(x, [2, 3], "bilinear")),
    "Resize": ([[1, 6, 6]], lambda x: eddl.Resize(x, [4, 9], False, "reflect",
                                                  coordinate_transformation_mode="half_pixel")),
    "UpSampling3D": ([[1, 3, 4, 4]], lambda x: eddl.UpSampling3D(x, [5, 6, 3])),
    "Scale": ([[2, 6, 6]], lambda x: eddl.Scale(x, [4, 4], False, "constant", 2.0)),
    "Pad": ([[1, 3, 4]], lambda x: eddl.Pad(x, [1, 0, 2, 1], 3.0)),
    "Flip": ([[2, 4, 5]], lambda x: eddl.HorizontalFlip(x)),
    "RandomFlip": ([[2, 4, 5]], lambda x: eddl.RandomVerticalFlip(x)),
    "Crop": ([[1, 6, 6]], lambda x: eddl.Crop(x, [1, 2], [4, 4], False, 5.0)),
    "CenteredCrop": ([[1, 7, 6]], lambda x: eddl.CenteredCrop(x, [3, 4])),
    "RandomCrop": ([[1, 7, 6]], lambda x: eddl.RandomCrop(x, [5, 3])),
    "Cutout": ([[2, 6, 6]], lambda x: eddl.Cutout(x, [1, 1], [3, 4], 7.0)),
    "RandomCutout": ([[2, 6, 6]], lambda x: eddl.RandomCutout(x, [0.1, 0.3], [0.2, 0.4])),
    "CropScale": ([[1, 6, 6]], lambda x: eddl.CropScale(x, [1, 1], [4, 7], "wrap")),
    "RandomCropScale": ([[1, 6, 6]], lambda x: eddl.RandomCropScale(x, [0.5, 0.9])),
    "Rotate": ([[1, 6, 6]], lambda x: eddl.Rotate(x, 30.0, [1, 0], "constant", 1.0)),
    "RandomRotation": ([[1, 6, 6]], lambda x: eddl.RandomRotation(x, [-20.0, 20.0])),
    "RandomScale": ([[1, 6, 6]], lambda x: eddl.RandomScale(x, [0.8, 1.2])),
    "Shift": ([[1, 6, 6]], lambda x: eddl.Shift(x, [2, -1], "mirror")),
    "RandomShift": ([[1, 6, 6]], lambda x: eddl.RandomShift(x, [-0.2, 0.2], [0.0, 0.3])),
    "MatMul": ([[2, 3], [3, 4]], lambda a, b: eddl.MatMul([a, b])),
    "Where": ([[3], [3], [3]], lambda a, b, c: eddl.Where(a, b, c)),
    "Repeat": ([[2, 3]], lambda x: eddl.Repeat(x, [1, 0, 2], 1)),
    "Tile": ([[2, 3]], lambda x: eddl.Tile(x, [2, 1])),
    "Broadcast": ([[3], [3, 4]], lambda a, b: eddl.Broadcast(a, b)),
    "Expand": ([[3, 1]], lambda x: eddl.Expand(x, [2, -1, 4])),
    "Split": ([[2, 6]], lambda x: eddl.Split(x, [2, 5], 1, True)[1]),
    "Bypass": ([[3]], lambda x: eddl.Bypass(x, "identity")),
    "Shape": ([[2, 3]], lambda x: eddl.Shape(x, False)),
    "ConstOfTensor": ([[2]], lambda x: eddl.ConstOfTensor([[1.0, 2.0], [3.0, 4.5]])),
    "GaussGenerator": ([[2]], lambda x: eddl.GaussGenerator(0.5, 2.0, [3, 2])),
    "UniformGenerator": ([[2]], lambda x: eddl.UniformGenerator(-1.0, 3.0, [4])),
    "Embedding": ([[4]], lambda x: eddl.Embedding(x, 5, 4, 3, True)),
    "RNN": ([[4, 3]], lambda x: eddl.RNN(x, 2, "relu", False, True, return_sequences=True)),
    "LSTM": ([[4, 3]], lambda x: eddl.LSTM(x, 2, True, True)),
    "GRU": ([[4, 3]], lambda x: eddl.GRU(x, 2, return_sequences=True, linear_before_reset=False)),
    "GetStates": ([[4, 3], [2, 2]], lambda x, s: eddl.GetStates(eddl.LSTM([x, s], 2))),
    "Take": ([[3, 5]], lambda x: eddl.layers.Take(x, [[4, 0], [1, 1]], axis=1)),
    "ScaledDotProductAttention": ([[3, 4], [5, 4], [5, 2], [3, 5]], lambda q, k, v, m:
                                  eddl.ScaledDotProductAttention([q, k, v, m], True, "additive",
                                                                 0.5)),
    "MultiHeadAttention": ([[3, 4], [5, 6]], lambda q, k: eddl.MultiHeadAttention(
        [q, k, k], 4, 2, bias=False, kdim=6, vdim=6, causal=True)),
    "AdditiveAttention": ([[4], [5, 3]], lambda q, k: eddl.AdditiveAttention([q, k], 3)),
    "AttentionWeights": ([[3, 4]], lambda x: eddl.AttentionWeights(
        eddl.MultiHeadAttention([x, x, x], 4, 2), False)),
    "PositionalEncoding": ([[3, 4]], lambda x: eddl.PositionalEncoding(x)),
    "LearnedPositionalEncoding": ([[3, 4]], lambda x: eddl.LearnedPositionalEncoding(x)),
    "HLSinf": ([[3, 8, 8], [4, 4, 4]], lambda x, r: eddl.layers.HLSinf(
        [x, r], 4, [3, 3], [1, 1], [[1, 1], [1, 1]], ["relu", "maxpool", "add"])),
    "FusedConv": ([[3, 8, 7], [4, 4, 4]], lambda x, r: eddl.layers.FusedConv(
        [x, r], 4, [3, 2], [2, 2], [1, 1, 0, 1], residual=True, activation="leaky_relu",
        alpha=0.2)),
    "FusedAffine": ([[3, 4, 5], [3, 4, 5]], lambda x, r: eddl.layers.FusedAffine(
        [x, r], residual=True, activation="leaky_relu", alpha=0.3)),
    "FusedDense": ([[5], [3]], lambda x, r: eddl.layers.FusedDense(
        [x, r], 3, False, residual=True, activation="relu")),
}

# layers that run only on a computing service other than the CPU
SERVICE = {"HLSinf": lambda: eddl.CS_FPGA([1], emulate=True)}


# layers whose inputs must stay positive (logarithms, divisions, embedding ids)
POSITIVE = {"Unary", "Div", "Embedding"}


def _inputs(net, rng, low=-2.0, batch=3):
    return [rng.uniform(low, 2.0, (batch,) + l.shape).astype(np.float32) for l in net.lin]


def _outputs(net, xs, mode):
    """Outputs in inference mode (``predict``) or of one training-mode forward pass."""
    if mode == eddl.TSMODE:
        return [np.asarray(y) for y in eddl.predict(net, xs)]
    eddl.set_mode(net, mode)
    eddl.forward(net, [eddl.Tensor.fromarray(x) for x in xs])
    return [np.array(eddl.getOutput(l)) for l in net.lout]


def _assert_round_trip(net, rng, low=-2.0, cs=None):
    cfg = net.get_config()
    text = net.to_json()
    assert json.loads(text) == cfg
    twin = eddl.model_from_json(text)
    assert twin.get_config() == cfg
    assert eddl.Model.from_config(json.loads(json.dumps(cfg))).get_config() == cfg
    # the same seed gives both models the same random stream (dropout, noise, augmentation)
    eddl.set_seed(7)
    eddl.build(net, cs=cs and cs())
    eddl.set_seed(7)
    eddl.build(twin, cs=cs and cs())
    eddl.set_parameters(twin, eddl.get_parameters(net))
    xs = _inputs(net, rng, low)
    for mode in (eddl.TSMODE, eddl.TRMODE):
        for y, z in zip(_outputs(net, xs, mode), _outputs(twin, xs, mode)):
            assert y.shape == z.shape
            np.testing.assert_array_equal(y, z)
    return twin


def test_every_registered_layer_has_a_case():
    missing = sorted(set(LAYERS.names()) - set(CASES))
    assert not missing, f"registered layers without a round-trip case: {missing}"
    assert not set(CASES) - set(LAYERS.names())


@pytest.mark.parametrize("class_name", sorted(CASES))
def test_layer_round_trips_through_config_and_json(class_name):
    shapes, make = CASES[class_name]
    ins = [eddl.Input(s) for s in shapes]
    layer = make(*ins)
    assert type(layer) is LAYERS.get(class_name)
    # the layer's own config rebuilds an equal layer
    cfg = layer.get_config()
    json.dumps(cfg)
    cls = type(layer)
    twin = cls.from_config({**cfg, "name": layer.name + "_twin"}, layer.parents)
    assert twin.shape == layer.shape
    assert {**twin.get_config(), "name": layer.name} == cfg
    if layer.is_input:
        net = eddl.Model([layer], [layer])
    else:
        # a source (generator, constant) is computed without inputs: the model's inputs are
        # also outputs, so they give the batch size
        net = eddl.Model(ins, [layer] + (ins if layer.is_source else []))
    _assert_round_trip(net, np.random.default_rng(0), 0.5 if class_name in POSITIVE else -2.0,
                       SERVICE.get(class_name))


def test_config_is_the_call_as_made():
    shape, size = [1, 4, 4], [2, 2]
    x = eddl.Input(shape, name="in")
    up = eddl.UpSampling2D(x, size)
    shape.append(9)
    size[0] = 5
    assert x.get_config() == {"shape": [1, 4, 4], "name": "in"}
    assert up.get_config()["size"] == [2, 2]
    # defaults are filled in, automatic names are kept
    r = eddl.ReLu(x)
    assert r.get_config() == {"activation": "relu", "params": [], "name": r.name}
    assert eddl.Dropout(x, 0.5).get_config()["iw"] is True


def test_trainable_and_detached_flags_round_trip():
    x = eddl.Input([4])
    h = eddl.Dense(x, 3, name="frozen")
    out = eddl.Dense(eddl.detach(eddl.ReLu(h)), 2)
    net = eddl.Model([x], [out])
    net.set_trainable("frozen", False)
    twin = eddl.Model.from_config(net.get_config())
    assert not twin.get_layer("frozen").trainable
    assert [l.detached for l in twin.layers] == [l.detached for l in net.layers]


# every zoo builder, small enough to run on two cores
ZOO = {
    "resnet18": lambda: eddl.zoo.resnet18([3, 32, 32], 10),
    "resnet34": lambda: eddl.zoo.resnet34([3, 32, 32], 10),
    "resnet50": lambda: eddl.zoo.resnet50([3, 32, 32], 10),
    "resnet101": lambda: eddl.zoo.resnet101([3, 32, 32], 10),
    "vgg16": lambda: eddl.zoo.vgg16([3, 32, 32], 4, dense_units=8),
    "vgg16_bn": lambda: eddl.zoo.vgg16_bn([3, 32, 32], 4, dense_units=8),
    "vgg19": lambda: eddl.zoo.vgg19([1, 32, 32], 4, dense_units=8),
    "vgg19_bn": lambda: eddl.zoo.vgg19_bn([1, 32, 32], 4, dense_units=8),
    "mobilenet": lambda: eddl.zoo.mobilenet([3, 32, 32], 5, width=0.25, blocks=4),
    "unet": lambda: eddl.zoo.unet([1, 16, 16], 2, depth=2, base_filters=4),
    "unet3d": lambda: eddl.zoo.unet3d([1, 8, 8, 8], 1, depth=2, base_filters=2),
}


def test_every_zoo_builder_has_a_case():
    assert sorted(ZOO) == sorted(eddl.zoo.BUILDERS)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_models_round_trip(name):
    net = ZOO[name]()
    twin = _assert_round_trip(net, np.random.default_rng(1))
    assert [type(l) for l in twin.layers] == [type(l) for l in net.layers]


def test_pyeddl_names_lead_to_their_classes():
    assert layer_class("ReLu") is eddl.layers.Activation
    assert layer_class("MaxPool2D") is eddl.layers.MaxPool
    assert layer_class("Conv") is eddl.layers.Conv2D
    assert layer_class("Conv2D") is eddl.layers.Conv2D
    assert layer_class("BatchNormalization") is eddl.layers.BatchNormalization
    with pytest.raises(ValueError, match="unknown layer 'Relu'.*did you mean.*'ReLu'"):
        layer_class("Relu")
    for name in PYEDDL.names():
        f = getattr(eddl, name)
        assert f.__name__ in (name, "Diff"), name
        assert f.__doc__ and "Parameters" in f.__doc__ or name.endswith("Flip"), name


def test_generated_factories_keep_pyeddl_signatures():
    import inspect
    sig = inspect.signature
    assert str(sig(eddl.Conv2D)) == ("(parent, filters, kernel_size, strides=[1, 1], "
                                     "padding='same', use_bias=True, groups=1, "
                                     "dilation_rate=[1, 1], name='')")
    assert str(sig(eddl.MaxPool3D)) == ("(parent, pool_size=[2, 2, 2], strides=[2, 2, 2], "
                                        "padding='none', name='', ceil_mode=False)")
    assert str(sig(eddl.LeakyReLu)) == "(parent, value=0.01, name='')"
    assert str(sig(eddl.ReduceMax)) == "(l, axis, keepdims=False)"
    # default lists are not shared between layers
    a, b = eddl.Conv2D(eddl.Input([1, 4, 4]), 1, [3, 3]), eddl.Conv2D(eddl.Input([1, 4, 4]), 1, [3, 3])
    assert a.get_config()["strides"] == [1, 1] == b.get_config()["strides"]
    with pytest.raises(TypeError, match=r"Conv2D\(\)"):
        eddl.Conv2D(eddl.Input([1, 4, 4]))


def _cfg():
    x = eddl.Input([1, 6, 6], name="img")
    net = eddl.Model([x], [eddl.Conv2D(x, 2, [3, 3], name="c1")])
    return net.get_config()


@pytest.mark.parametrize("edit,match", [
    (lambda c: c["layers"][1]["config"].update(filterz=3),
     r"Conv2D layer 'c1': unknown config field 'filterz'"),
    (lambda c: c["layers"][1]["config"].pop("kernel_size"),
     r"Conv2D layer 'c1': config field 'kernel_size' is missing"),
    (lambda c: c["layers"][1]["config"].update(filters=-2),
     r"Conv2D layer 'c1': .*filters must be a positive int"),
    (lambda c: c["layers"][1].update(class_name="Conv2d"),
     r"layer 1 \(Conv2d 'c1'\): field 'class_name': unknown layer class 'Conv2d'; "
     r"did you mean 'Conv2D'"),
    (lambda c: c["layers"][1].update(inbound=["nope"]),
     r"layer 1 \(Conv2D 'c1'\): field 'inbound' names 'nope'"),
    (lambda c: c["layers"][1].update(inbound=["img", "img"]),
     r"Conv2D layer 'c1': needs one parent layer, got 2"),
    (lambda c: c["layers"][1].update(trainable="yes"),
     r"layer 1 \(Conv2D 'c1'\): field 'trainable' must be a bool"),
    (lambda c: c["layers"][0].update(extra=1), r"layer 0: unknown field 'extra'"),
    (lambda c: c.update(outputs=["c2"]), r"field 'outputs' names unknown layer 'c2'"),
    (lambda c: c.update(version=7), r"unsupported version 7"),
    (lambda c: c.update(format="keras"), r"field 'format' must be 'eddl.model'"),
    (lambda c: c.pop("layers"), r"field 'layers' is missing"),
    (lambda c: c["layers"][1]["config"].update(name=""),
     r"layer 1 \(Conv2D ''\): config field 'name' must be a non-empty str"),
])
def test_bad_configs_name_the_layer_and_the_field(edit, match):
    cfg = _cfg()
    edit(cfg)
    with pytest.raises(ValueError, match=match):
        eddl.Model.from_config(cfg)


def test_bad_json_and_unregistered_layers():
    with pytest.raises(ValueError, match="not valid JSON"):
        eddl.model_from_json("{")
    with pytest.raises(TypeError, match="expected JSON text"):
        eddl.model_from_json({"format": "eddl.model"})

    class Custom(eddl.layers.Dense):
        pass

    x = eddl.Input([3])
    net = eddl.Model([x], [Custom(x, 2)])
    with pytest.raises(TypeError, match="not a registered layer class"):
        net.get_config()


def test_forwarders_keep_pyeddl_signatures_and_check_their_model():
    import inspect
    assert str(inspect.signature(eddl.fit)) == "(m, in_, out, batch, epochs, **kwargs)"
    assert str(inspect.signature(eddl.sgd)) == ("(lr=0.01, momentum=0.0, weight_decay=0.0, "
                                                "nesterov=False)")
    assert str(inspect.signature(eddl.setTrainable)) == "(net, lanme, val)"
    opt = eddl.adam(0.002, amsgrad=True)
    assert (opt.lr, opt.amsgrad) == (0.002, True)
    with pytest.raises(TypeError, match="train_batch: expected a Model, got str"):
        eddl.train_batch("net", [], [])
    x = eddl.Input([2])
    net = eddl.Model([x], [eddl.Dense(x, 1)])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"])
    xs, ys = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    history = eddl.fit(net, [xs], [ys], 2, 1, verbose=0)
    assert len(history) == 1


def test_a_layer_registered_outside_the_toolkit_round_trips():
    from eddl.layers.registry import LAYERS, PYEDDL, factory_function, register_layer

    @register_layer("TestScaleBy")
    class ScaleBy(eddl.layers.Layer):
        """Multiply by ``k``."""

        def __init__(self, parent, k=2.0, name=""):
            self.k = float(k)
            super().__init__([parent], name)

        def compute_shape(self, s):
            return s

        def forward(self):
            self.be.xp.multiply(self.parents[0].output, self.k, out=self.output)

    try:
        x = eddl.Input([3])
        net = eddl.Model([x], [factory_function("TestScaleBy")(x, k=3.0)])
        assert net.get_config()["layers"][1]["config"] == {"k": 3.0, "name": net.lout[0].name}
        _assert_round_trip(net, np.random.default_rng(2))
    finally:
        # keep the tables as the toolkit defines them for the other tests
        LAYERS.unregister("ScaleBy")
        PYEDDL.unregister("TestScaleBy")
        factory_function.cache_clear()
