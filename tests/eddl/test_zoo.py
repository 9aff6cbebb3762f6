"""Model zoo builders: known parameter counts, output shapes, a forward pass."""

import numpy as np
import pytest

import eddl


def n_params(net):
    return sum(int(np.prod(s[1])) for l in net.layers for s in l.param_specs())


def test_resnet50_parameter_count(capsys):
    net = eddl.zoo.resnet50([3, 224, 224], 1000)
    assert n_params(net) == 25_557_032
    assert "Total params: 25,557,032" in eddl.summary(net)


@pytest.mark.parametrize("builder,count", [
    (eddl.zoo.resnet18, 11_689_512), (eddl.zoo.resnet34, 21_797_672),
    (eddl.zoo.resnet101, 44_549_160), (eddl.zoo.vgg16, 138_357_544),
    (eddl.zoo.vgg19, 143_667_240)])
def test_imagenet_parameter_counts(builder, count):
    # torchvision's counts for the same architectures
    assert n_params(builder([3, 224, 224], 1000)) == count


@pytest.mark.parametrize("make,shape", [
    (lambda: eddl.zoo.resnet18([3, 32, 32], 10), (10,)),
    (lambda: eddl.zoo.vgg16_bn([3, 32, 32], 10, dense_units=16), (10,)),
    (lambda: eddl.zoo.vgg19_bn([1, 32, 32], 4, dense_units=8), (4,)),
    (lambda: eddl.zoo.mobilenet([3, 32, 32], 5, width=0.25, blocks=4), (5,)),
    (lambda: eddl.zoo.unet([1, 16, 16], 1, depth=2, base_filters=4), (1, 16, 16)),
    (lambda: eddl.zoo.unet([2, 16, 16], 3, depth=2, base_filters=4), (3, 16, 16)),
    (lambda: eddl.zoo.unet3d([1, 8, 8, 8], 1, depth=2, base_filters=2), (1, 8, 8, 8)),
])
def test_builders_forward(make, shape):
    net = make()
    assert net.lout[0].shape == shape
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"])
    x = np.random.default_rng(0).standard_normal((2,) + net.lin[0].shape).astype(np.float32)
    y = eddl.predict(net, [x])[0]
    y = np.asarray(y.getdata() if hasattr(y, "getdata") else y)
    assert y.shape == (2,) + shape and np.isfinite(y).all()


def test_zoo_bad_input():
    with pytest.raises(ValueError, match="input_shape"):
        eddl.zoo.resnet18([224, 224], 10)
    with pytest.raises(ValueError, match="num_classes"):
        eddl.zoo.vgg16([3, 32, 32], 0)
    with pytest.raises(ValueError, match="multiples"):
        eddl.zoo.unet([1, 20, 20], depth=3)
