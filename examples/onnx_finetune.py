"""Fine-tune a model written by PyTorch's ONNX exporter on the synthetic lesion dataset.

Imports a ResNet-like classifier exported by PyTorch (a committed test file by default, or
any ONNX classifier given with ``--model``), cuts its classifier head, connects a new one for
the lesion classes, fine-tunes it with the prefetching loader, exports the result to ONNX and
checks it in onnxruntime. Writes the training curve as a PNG.

Run: ``python examples/onnx_finetune.py [--epochs 3] [--out onnx_finetune]``
"""

import argparse
import os
import tempfile

import numpy as np

import eddl
from bridge import DLDataset
from bridge.app.report import plot_curves
from bridge.app.synth import generate_lesion_dataset

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.join(HERE, "..", "tests", "eddl", "onnx", "fixtures",
                             "resnet_small_dynamo_eval.onnx")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL, help="ONNX classifier to start from")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--samples", type=int, nargs=3, default=[240, 60, 30],
                    metavar=("TRAIN", "VAL", "TEST"))
    ap.add_argument("--out", default="onnx_finetune", help="folder for the ONNX file and PNG")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    # the imported features, without the original classifier; "top" is where they end
    base = eddl.zoo.net_from_model_file(args.model, top=True)
    size = base.lin[0].shape[-1]
    print(f"imported {os.path.basename(args.model)}: {len(base.layers)} layers, input "
          f"{list(base.lin[0].shape)}")

    root = tempfile.mkdtemp(prefix="lesions_")
    paths = generate_lesion_dataset(root, *args.samples, size=size)
    data = DLDataset(paths["classification"], 16, num_workers=2, scale=1 / 255)

    top = eddl.getLayer(base, "top")
    head = eddl.Softmax(eddl.Dense(eddl.Flatten(top) if len(top.shape) > 1 else top,
                                   len(data.classes_), name="lesion_head"))
    net = eddl.Model([eddl.getLayer(base, "input")], [head], name="lesion_finetuned")
    eddl.build(net, eddl.adam(0.001), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(), init_weights=False)

    curve = []
    for epoch in range(args.epochs):
        data.SetSplit("training")
        data.ResetBatch(shuffle=True, epoch=epoch)
        eddl.reset_loss(net)
        for x, y in data:
            eddl.train_batch(net, [x], [y])
        train_loss, train = eddl.get_losses(net)[0], eddl.get_metrics(net)[0]
        data.SetSplit("validation")
        data.ResetBatch()
        eddl.reset_loss(net)
        for x, y in data:
            eddl.eval_batch(net, [x], [y])
        val = eddl.get_metrics(net)[0]
        curve.append({"train_loss": train_loss, "train_metric": train,
                      "val_loss": eddl.get_losses(net)[0], "val_metric": val})
        print(f"epoch {epoch + 1}: train accuracy {train:.3f}  validation accuracy {val:.3f}",
              flush=True)

    path = os.path.join(args.out, "lesion_finetuned.onnx")
    eddl.save_net_to_onnx_file(net, path)
    data.SetSplit("test")
    data.ResetBatch()
    _, x, _ = data.GetBatch()
    x = x.numpy()
    ours = eddl.predict(net, [x])[0].numpy()
    try:
        import onnxruntime as ort
    except ImportError:
        print(f"wrote {path} (onnxruntime not installed: not checked)")
    else:
        ref = ort.InferenceSession(path).run(None, {"input": x})[0]
        print(f"wrote {path}; onnxruntime agrees within {np.abs(ref - ours).max():.1e}")
    png = os.path.join(args.out, "onnx_finetune.png")
    plot_curves(curve, png, "accuracy")
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
