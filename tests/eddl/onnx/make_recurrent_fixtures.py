"""Write the PyTorch-exported recurrent fixtures read by ``test_recurrent_onnx.py``.

Each model reads ``input`` ``[batch, T, D]`` (``batch_first=True``) and writes ``output``; the
``.npz`` beside it holds an ``input``, the ``output`` PyTorch computed and the recurrent
layer's ``state_dict`` (keys ``torch.weight_ih_l0`` and so on). The TorchScript
exporter (opset 17) writes the ``Transpose``/``Squeeze``/``Reshape`` nodes around each
``LSTM``/``GRU`` node, a zero initial state expanded to the batch size, and GRU with
``linear_before_reset=1``. Run it where ``torch`` is installed::

    python tests/eddl/onnx/make_recurrent_fixtures.py
"""

import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "recurrent")
D, H, T = 3, 4, 5


class Seq(torch.nn.Module):
    """A recurrent stack returning every step, or the last step through a Linear layer."""

    def __init__(self, cell, bidirectional, layers, last):
        super().__init__()
        self.rnn = getattr(torch.nn, cell)(D, H, num_layers=layers, batch_first=True,
                                           bidirectional=bidirectional)
        self.last = last
        self.fc = torch.nn.Linear(H * (2 if bidirectional else 1), 2) if last else None

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1]) if self.last else y


SPECS = {
    "lstm_torchscript": ("LSTM", False, 1, False),
    "lstm_bi_torchscript": ("LSTM", True, 1, False),
    "lstm_2layers_torchscript": ("LSTM", False, 2, False),
    "gru_torchscript": ("GRU", False, 1, False),
    "gru_bi_2layers_torchscript": ("GRU", True, 2, False),
    "lstm_last_dense_torchscript": ("LSTM", False, 1, True),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for k, (name, spec) in enumerate(SPECS.items()):
        torch.manual_seed(k)
        model = Seq(*spec).eval()
        x = torch.randn(3, T, D)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        weights = {f"torch.{k}": v.numpy() for k, v in model.rnn.state_dict().items()}
        np.savez(os.path.join(OUT, name + ".npz"), input=x.numpy(), output=y.numpy(), **weights)
        print("wrote", path)


if __name__ == "__main__":
    main()
