"""PyEDDL model-level names: removeLayer, get_topk_predictions and the class attributes."""

import warnings

import numpy as np
import pytest

import eddl
from eddl import Tensor

# pyeddl tests/test_classes.py reads each of these attributes
LAYER_ATTRS = ["name", "input", "output", "target", "delta", "orig", "sorig", "net", "trainable",
               "mem_level", "isrecurrent", "isshared", "iscloned", "isnorm", "isdecoder",
               "distributed_training", "params", "gradients", "states", "delta_states",
               "acc_gradients", "parent", "child", "clones", "reg", "init", "mode", "dev", "lin",
               "lout", "delta_bp", "detached", "do_deletes", "verbosity_level"]
NET_ATTRS = ["name", "dev", "batch_size", "tr_batches", "inferenced_samples", "trmode",
             "mem_level", "verbosity_level", "onnx_pretrained", "isrecurrent", "isbuild",
             "isdecoder", "isencoder", "isresized", "decoder_teacher_training", "decsize",
             "devsel", "cs", "do_compserv_delete", "layers", "layersf", "layersb", "lin", "din",
             "lout", "vfts", "vbts", "netinput", "losses", "metrics", "fiterr", "total_loss",
             "total_metric", "optimizer", "do_optimizer_delete", "snets", "rnet", "Xs", "Ys"]
OPTIMIZER_ATTRS = ["name", "layers", "isshared", "clip_val", "orig"]


def _head_net():
    x = eddl.Input([6], name="input")
    h = eddl.ReLu(eddl.Dense(x, 8, name="features"), name="top")
    out = eddl.Softmax(eddl.Dense(h, 3, name="head"), name="probs")
    return eddl.Model([x], [out])


def test_attributes_exist_as_in_pyeddl_tests():
    x = eddl.Input([16])
    h = eddl.BatchNormalization(eddl.Dense(x, 16), True)
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 10))])
    for layer in (x, h):
        for a in LAYER_ATTRS:
            getattr(layer, a)
    for a in NET_ATTRS:
        getattr(net, a)
    opt = eddl.adam(0.001)
    for a in OPTIMIZER_ATTRS:
        getattr(opt, a)


def test_attributes_follow_the_model():
    net = _head_net()
    dense = net.get_layer("features")
    assert dense.lin == 1 and dense.lout == 1 and net.get_layer("input").lin == 0
    assert not dense.isnorm and not dense.isrecurrent and not net.isrecurrent
    assert eddl.BatchNormalization(eddl.Input([3]), True).isnorm
    assert dense.dev == eddl.DEV_CPU and dense.mem_level == 0 and dense.target is None
    opt = eddl.sgd(0.1)
    assert opt.layers == []
    with pytest.warns(UserWarning, match="no effect on the 'cpu' backend"):
        cs = eddl.CS_CPU(mem="low_mem")
    eddl.build(net, opt, ["soft_cross_entropy"], ["accuracy"], cs)
    assert opt.layers == net.layers and net.mem_level == 2 and dense.mem_level == 2
    assert net.layersf == [l for l in net.layers if l.name != "input"] == net.vfts
    assert net.layersb[0].name == "probs" and net.layersb == net.vbts
    assert net.netinput == net.lin and net.dev == eddl.DEV_CPU and net.devsel == []
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    eddl.train_batch(net, [x], [y])
    np.testing.assert_array_equal(np.asarray(net.lout[0].target), y)
    assert net.fiterr == [net.total_loss[0], net.total_metric[0]] and net.fiterr[0] > 0
    # internals are read-only: assigning them would have no effect on the model
    with pytest.raises(AttributeError):
        dense.dev = 1000
    with pytest.raises(AttributeError):
        net.mem_level = 0
    with pytest.raises(AttributeError):
        opt.layers = []


def test_remove_layer_unlinks_as_eddl():
    # EDDL src/net/net_build.cpp Net::removeLayer: unlink from the parents' children
    # (p->lout--), drop from lout with a warning, drop from layers
    net = _head_net()
    top = net.get_layer("top")
    with pytest.warns(UserWarning, match="'probs' was an output"):
        eddl.removeLayer(net, "probs")
    assert net.lout == [] and [l.name for l in net.layers] == ["input", "features", "top", "head"]
    assert top.lout == 1
    eddl.removeLayer(net, "head")
    assert top.lout == 0 and top.child == []
    assert [l.name for l in net.layers] == ["input", "features", "top"]
    with pytest.raises(KeyError, match="no layer 'head'"):
        eddl.getLayer(net, "head")


def test_remove_layer_refuses_what_eddl_would_corrupt():
    net = _head_net()
    with pytest.raises(ValueError, match=r"name='head' still feeds \['probs'\]"):
        eddl.removeLayer(net, "head")
    with pytest.raises(KeyError, match="no layer 'nope'.*layers: \\['input'"):
        eddl.removeLayer(net, "nope")


def test_new_head_on_a_trained_net_after_removing_trailing_layers():
    # PyEDDL examples/onnx/import_net_and_reshape.py: cut the head, Dense on "top", new Model,
    # build without re-initialising, train
    eddl.set_seed(3)
    net = _head_net()
    eddl.build(net, eddl.sgd(0.1), ["soft_cross_entropy"], ["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 6)).astype(np.float32)
    eddl.fit(net, [x], [np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]], 4, 1, verbose=0)
    kept = net.get_layer("features").params[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eddl.removeLayer(net, "probs")
    eddl.removeLayer(net, "head")
    assert not net.isbuild              # the cut model must be built again before training
    with pytest.raises(RuntimeError, match="not built"):
        eddl.predict(net, [x])
    top = eddl.getLayer(net, "top")
    out = eddl.Softmax(eddl.Dense(top, 5, name="new_dense"))
    new = eddl.Model([eddl.getLayer(net, "input")], [out])
    assert [l.name for l in new.layers][:3] == ["input", "features", "top"]
    assert "head" not in [l.name for l in new.layers]
    eddl.build(new, eddl.sgd(0.1), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU(), False)
    np.testing.assert_array_equal(new.get_layer("features").params[0], kept)
    y5 = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 16)]
    eddl.fit(new, [x], [y5], 4, 1, verbose=0)
    (p,) = eddl.predict(new, [Tensor(x)])
    assert p.shape == [16, 5]
    np.testing.assert_allclose(np.asarray(p).sum(1), 1, rtol=1e-5)
    # the same function computed by hand from the kept weights: the new head sees "top"
    feats = np.maximum(x @ new.get_layer("features").params[0] + new.get_layer("features").params[1], 0)
    d = new.get_layer("new_dense")
    z = feats.astype(np.float64) @ d.params[0] + d.params[1]
    ref = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(np.asarray(p), ref / ref.sum(1, keepdims=True), rtol=1e-4, atol=1e-6)


def _eddl_topk(probs, names, k, decimals):
    """Reference of EDDL's src/apis/eddl.cpp get_topk_predictions written from its loop:
    stable descending argsort, prob * 100.0f, std::fixed << setprecision(decimals), endl."""
    p = np.asarray(probs, np.float32).reshape(-1)
    order = sorted(range(p.size), key=lambda i: -float(p[i]))   # sorted() is stable
    lines = []
    for rank, i in enumerate(order[:k]):
        lines.append(f"{rank + 1}. {names[i]} ({float(p[i] * np.float32(100)):.{decimals}f}%)\n")
    return "".join(lines)


@pytest.mark.parametrize("k,decimals", [(1, 2), (4, 2), (3, 0), (2, 5)])
def test_get_topk_predictions_format(k, decimals):
    rng = np.random.default_rng(k + decimals)
    t = Tensor.fromarray(rng.random(5))
    t.div_(t.sum())
    names = list("abcde")
    assert eddl.get_topk_predictions(t, names, k, decimals) == _eddl_topk(t, names, k, decimals)


def test_get_topk_predictions_ties_shapes_and_errors():
    probs = Tensor.fromarray([[0.25], [0.5], [0.25], [0.0]])          # (n, 1), as PyEDDL allows
    assert eddl.get_topk_predictions(probs, ["w", "x", "y", "z"], k=3) == \
        "1. x (50.00%)\n2. w (25.00%)\n3. y (25.00%)\n"
    with pytest.raises(ValueError, match="4 values but class_names has 3"):
        eddl.get_topk_predictions(probs, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"k=4; it must be .* smaller than the number of classes \(4\)"):
        eddl.get_topk_predictions(probs, list("abcd"), k=4)               # EDDL: k >= size fails
    with pytest.raises(ValueError, match="k=0"):
        eddl.get_topk_predictions(probs, list("abcd"), k=0)
    with pytest.raises(ValueError, match="empty"):
        eddl.get_topk_predictions(Tensor([0]), [], k=1)


def test_cut_the_head_of_a_zoo_net_as_pyeddl_does_with_downloaded_models():
    # PyEDDL's download_resnet18(top=True) removes the classifier and renames the last layer
    # "top" (eddl src/apis/eddl.cpp); the same steps with removeLayer on a zoo ResNet-18
    eddl.set_seed(0)
    net = eddl.zoo.resnet18([3, 32, 32], 10)
    head = [l.name for l in net.layers[-2:]]                 # Dense then Softmax
    with pytest.warns(UserWarning, match="was an output"):
        eddl.removeLayer(net, head[1])
    eddl.removeLayer(net, head[0])
    top = net.layers[-1]
    assert top.shape == (512,) and top.child == []
    inp = net.lin[0]
    out = eddl.Softmax(eddl.Dense(top, 4, name="new_dense"))
    new = eddl.Model([inp], [out])
    assert len(new.layers) == len(net.layers) + 2
    eddl.build(new, eddl.sgd(0.01), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU())
    (p,) = eddl.predict(new, [np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)])
    assert p.shape == [2, 4]
