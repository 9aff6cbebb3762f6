"""Accuracy of small zoo-style models in FP32 and in HLSinf's 8-bit fixed point, emulated.

Trains two small models on scikit-learn's 8x8 digits upsampled to 16x16 (the first 1400 images;
the last 397 are the test set), converts each with ``eddl.toFPGA`` for every HLSinf build
(calibrated on 200 training images for the 8-bit ones) and prints the test accuracy of each as
the Markdown table of ``docs/fpga.md``, then one JSON line. It takes well under a minute on two
cores:

    python docs/fpga_accuracy.py

- ``vgg-style``: the VGG blocks of ``eddl.zoo.vgg16`` (3x3 Conv+ReLU, Conv+ReLU+MaxPool),
  16-16-32 filters, then Dense: every convolution is a fused chain.
- ``resnet-style``: the blocks of ``eddl.zoo.resnet18`` (3x3 Conv+BN, ReLU, residual Add),
  a 3x3 stem and two basic blocks of 16 filters, global average pooling and Dense: the chains
  are Conv+BN, the ReLUs and Adds run on the CPU.
"""

import json
import sys

import numpy as np

import eddl
from eddl.zoo._blocks import conv_bn_relu

BUILDS = [(1, 0), (1, 2), (1, 4), (1, 6)]


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.kron(d.images / 16.0, np.ones((2, 2))).astype(np.float32)[:, None]  # 16x16, in [0, 1]
    return x, np.eye(10, dtype=np.float32)[d.target], d.target


def vgg_style():
    inp = eddl.Input([1, 16, 16])
    h = eddl.ReLu(eddl.Conv2D(inp, 16, [3, 3]))
    h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(h, 16, [3, 3])), [2, 2])
    h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(h, 32, [3, 3])), [2, 2])
    return eddl.Model([inp], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 10))])


def resnet_style():
    inp = eddl.Input([1, 16, 16])
    h = conv_bn_relu(inp, 16, 3)
    for _ in range(2):
        y = conv_bn_relu(conv_bn_relu(h, 16, 3), 16, 3, relu=False)
        h = eddl.ReLu(eddl.Add([y, h]))
    h = eddl.Flatten(eddl.GlobalAveragePool2D(h))
    return eddl.Model([inp], [eddl.Softmax(eddl.Dense(h, 10))])


def train(net, x, y, epochs=8):
    eddl.build(net, eddl.adam(0.005), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    for epoch in range(epochs):
        idx = np.random.default_rng(epoch).permutation(1400)
        for b in range(0, 1400, 50):
            net.train_batch([x[idx[b:b + 50]]], [y[idx[b:b + 50]]])
    eddl.set_mode(net, 0)
    return net


def accuracy(net, x, labels):
    return float((np.asarray(eddl.predict(net, [x], 100)[0]).argmax(axis=1) == labels).mean())


def main():
    x, y, labels = digits()
    test = slice(1400, None)
    rows = {}
    for name, make in (("vgg-style", vgg_style), ("resnet-style", resnet_style)):
        eddl.set_seed(0)
        net = train(make(), x, y)
        row = {"float (CPU)": accuracy(net, x[test], labels[test])}
        for v, s in BUILDS:
            fnet = eddl.toFPGA(net, v, s, cs=eddl.CS_FPGA([1], emulate=True),
                               calibration=[x[:200]])
            row[f"HLSinf {v}.{s}"] = accuracy(fnet, x[test], labels[test])
        row["chains"] = ", ".join(f"{k} x{n}" for k, n in fnet.fpga_partition.counts().items())
        rows[name] = row
    cols = ["float (CPU)"] + [f"HLSinf {v}.{s}" for v, s in BUILDS]
    print("| model | fused chains | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, row in rows.items():
        print(f"| {name} | {row['chains']} | "
              + " | ".join(f"{100 * row[c]:.1f} %" for c in cols) + " |")
    print(json.dumps({"fpga_accuracy": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
