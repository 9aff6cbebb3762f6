"""The toolkit paper's Listing 6: a multilayer perceptron trained on MNIST.

Only the import lines differ from the PyEDDL original. The MNIST files (``trX.bin``,
``trY.bin``, ``tsX.bin``, ``tsY.bin`` in EDDL's tensor format) are read from ``--data`` when
present; otherwise a synthetic MNIST-shaped data set (784 features in 0..255, 10 classes) is
generated so the script runs anywhere. ``CS_GPU`` is used when a CUDA backend is available,
the CPU otherwise.

Run: ``python examples/mnist_mlp.py [--data DIR] [--epochs 10] [--small]``
"""

import argparse
import os

import numpy as np

import eddl
import eddl.eddlT as eddlT


def synthetic_mnist(n_train, n_test, seed=0):
    """Ten noisy prototypes in 784 dimensions, scaled like MNIST pixels and one-hot labels."""
    rng = np.random.default_rng(seed)
    protos = rng.random((10, 784)) < 0.2
    def make(n):
        labels = rng.integers(0, 10, n)
        x = protos[labels] * 200.0 + rng.random((n, 784)) * 55.0
        flip = rng.random((n, 784)) < 0.1
        x[flip] = 255.0 - x[flip]
        return (eddlT.create(x.astype(np.float32)),
                eddlT.create(np.eye(10, dtype=np.float32)[labels]))
    return make(n_train) + make(n_test)


def load_data(folder, small, synthetic_sizes=None):
    names = ["trX.bin", "trY.bin", "tsX.bin", "tsY.bin"]
    paths = [os.path.join(folder, n) for n in names] if folder else []
    if paths and all(os.path.exists(p) for p in paths):
        x_tr, y_tr, x_ts, y_ts = (eddlT.load(p) for p in paths)
        if small:
            x_tr, y_tr = x_tr.select([":6000"]), y_tr.select([":6000"])
            x_ts, y_ts = x_ts.select([":1000"]), y_ts.select([":1000"])
        return x_tr, y_tr, x_ts, y_ts
    print("MNIST .bin files not found: using a synthetic MNIST-shaped data set")
    sizes = synthetic_sizes or ((6000, 1000) if small else (60000, 10000))
    return synthetic_mnist(*sizes)


def main(data=None, epochs=10, small=False, synthetic_sizes=None):
    epochs, batch_size, nclass = epochs, 100, 10

    # Build model
    in_ = eddl.Input([784])
    layer = in_
    layer = eddl.ReLu(eddl.Dense(layer, 1024))
    layer = eddl.ReLu(eddl.Dense(layer, 1024))
    layer = eddl.ReLu(eddl.Dense(layer, 1024))
    out = eddl.Softmax(eddl.Dense(layer, nclass))
    net = eddl.Model([in_], [out])
    gpu = eddl.cuda_status()[0]
    eddl.build(net,
               eddl.rmsprop(0.01),                 # Optimizer
               ["soft_cross_entropy"],             # Loss
               ["categorical_accuracy"],           # Metric
               eddl.CS_GPU([1], mem="low_mem") if gpu else eddl.CS_CPU(mem="low_mem"))

    # Load training and test data
    x_tr, y_tr, x_ts, y_ts = load_data(data, small, synthetic_sizes)

    # Preprocessing
    eddlT.div_(x_tr, 255.0)
    eddlT.div_(x_ts, 255.0)

    # Train model
    eddl.fit(net, [x_tr], [y_tr], batch_size, epochs)

    # Evaluate
    return eddl.evaluate(net, [x_ts], [y_ts])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=None, help="folder holding trX.bin, trY.bin, tsX.bin, tsY.bin")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--small", action="store_true", help="6000 training / 1000 test samples")
    args = ap.parse_args()
    main(args.data, args.epochs, args.small)
