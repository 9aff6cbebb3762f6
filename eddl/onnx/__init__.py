"""ONNX: export nets, import ONNX models as nets, exchange weights and gradients.

PyEDDL's names, with pythonic twins (:func:`to_onnx`, :func:`from_onnx`).

>>> import eddl
>>> x = eddl.Input([4], name="x")
>>> net = eddl.Model([x], [eddl.Softmax(eddl.Dense(x, 3))])
>>> eddl.build(net, eddl.sgd(0.01), ["soft_cross_entropy"], ["accuracy"])
>>> data = eddl.serialize_net_to_onnx_string(net)
>>> net2 = eddl.import_net_from_onnx_string(data)
>>> [l.name for l in net2.lin]
['x']
"""

from .api import (
                  apply_grads_from_onnx,
                  from_onnx,
                  import_net_from_onnx_file,
                  import_net_from_onnx_string,
                  save_net_to_onnx_file,
                  serialize_net_to_onnx_string,
                  set_weights_from_onnx,
                  to_onnx,
)
from .graph_import import set_max_tensor_elements
from .optable import support_table
from .values import ExportError, ONNXImportError
from .weights import average_weights

__all__ = ["save_net_to_onnx_file", "serialize_net_to_onnx_string", "import_net_from_onnx_file",
           "import_net_from_onnx_string", "set_weights_from_onnx", "apply_grads_from_onnx",
           "average_weights", "to_onnx", "from_onnx", "ExportError", "ONNXImportError",
           "set_max_tensor_elements", "support_table"]
