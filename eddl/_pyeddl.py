"""PyEDDL-named functions (``eddl.Dense(parent, units)``, ``eddl.build(...)``, ...).

Thin factories over the layer, loss, metric, optimizer and model classes: one implementation,
PyEDDL's names and signatures.
"""

from . import initializers as _init
from . import optimizers as _opt
from . import regularizers as _reg
from .compserv import CS_COMPSS, CS_CPU, CS_FPGA, CS_GPU, CompServ
from .layers import TRMODE, TSMODE, Layer
from .layers.factories import *  # noqa: F401,F403
from .layers.factories import __all__ as _layer_names
from .layers.registry import forwarder
from .losses import Loss, get_loss
from .metrics import Metric, get_metric
from .model import Model as _Model
from .model import NonFiniteLossError, get_topk_predictions, reset_profile, set_profiling, show_profile
from .model import evaluate as _evaluate
from .model import fit as _fit
from .model import load as _load
from .model import plot as _plot
from .model import predict as _predict
from .model import random_indices as _random_indices
from .model import save as _save
from .model import summary as _summary
from .model.accessors import *  # noqa: F401,F403
from .model.accessors import __all__ as _accessor_names
from .model.accessors import as_tensor as _as_tensor
from .model.inference import optimize_for_inference
from .model.model import model_from_json
from .model.netloss import NetLoss, compute_loss, compute_metric, newloss, newmetric, optimize
from .model.to_fpga import to_fpga, toFPGA

__all__ = list(_layer_names) + list(_accessor_names) + [
    "Model", "build", "fit", "evaluate", "predict", "summary", "plot", "save", "load",
    "CS_CPU", "CS_GPU", "CS_FPGA", "CS_COMPSS", "CompServ", "Layer", "Loss", "Metric",
    "getLoss", "getMetric", "NonFiniteLossError", "TRMODE", "TSMODE",
    "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "setlr",
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LeCunNormal", "LeCunUniform",
    "RandomNormal", "RandomUniform", "Constant", "Orthogonal", "L1", "L2", "L1L2",
    "random_indices", "toCPU", "NetLoss", "newloss", "newmetric", "compute_loss",
    "compute_metric", "optimize", "model_from_json", "get_topk_predictions",
    "show_profile", "reset_profile", "set_profiling", "toFPGA", "to_fpga",
    "optimize_for_inference",
]


Model = forwarder("Model", _Model, "in_, out, name='model'", module=__name__, doc="""\
A network from input layers ``in_`` to output layers ``out`` (any DAG).

    Parameters
    ----------
    in_ : list of Layer
    out : list of Layer
    name : str

    Returns
    -------
    eddl.model.Model

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([4])
    >>> net = eddl.Model([x], [eddl.Softmax(eddl.Dense(x, 3))])
    >>> len(net.layers)
    3
    """)


# eddl.Model.from_config(cfg): the PyEDDL name is a function; the configuration is the class's
Model.from_config = _Model.from_config


def build(net, o=None, lo=None, me=None, cs=None, init_weights=True, dtype="float32"):
    """Configure ``net`` for training and allocate and initialise its weights.

    Sets the optimizer, one loss and metric per output, and the computing service.

    Parameters
    ----------
    net : Model
    o : Optimizer, optional
        Default ``sgd(0.001, 0.9)``.
    lo, me : list of str or Loss / Metric, optional
        Both or neither; names as in PyEDDL (``"soft_cross_entropy"``, ``"mse"``, ...).
    cs : CompServ, optional
        Default ``CS_CPU()``.
    init_weights : bool
        False keeps weights already present (imported or loaded).
    dtype : str
        ``"float32"`` (default) or ``"float64"``.

    Returns
    -------
    Model
    """
    if lo is not None and o is None:
        raise ValueError("build: an optimizer is required when losses are given")
    return net.build(o, lo, me, cs, init_weights, dtype)


fit = forwarder("fit", _fit, "m, in_, out, batch, epochs, **kwargs", module=__name__, doc="""\
Train ``m`` on inputs ``in_`` and targets ``out`` (lists of Tensors or arrays).

    Parameters
    ----------
    m : Model
    in_, out : list of Tensor or numpy.ndarray
    batch : int
    epochs : int
    **kwargs
        ``verbose``, ``shuffle``, ``on_nan``, ``drop_last`` of :func:`eddl.model.fit`.

    Returns
    -------
    list of dict
        Per-epoch losses, metrics and seconds.
    """)


evaluate = forwarder(
    "evaluate", _evaluate,
    "m, in_, out, bs=-1, verbose=1",
    module=__name__, doc="""\
Mean losses and metrics on ``(in_, out)`` in inference mode (printed when verbose).

    Parameters
    ----------
    m : Model
    in_, out : list of Tensor or numpy.ndarray
    bs : int
        Batch size; -1 keeps the model's.
    verbose : int

    Returns
    -------
    tuple of (list of float, list of float)
    """)


def predict(m, in_, bs=-1):
    """Return the outputs of ``m`` for inputs ``in_``, one Tensor per output layer.

    Parameters
    ----------
    m : Model
    in_ : list of Tensor or numpy.ndarray
    bs : int

    Returns
    -------
    list of Tensor
    """
    return [_as_tensor(a) for a in _predict(m, in_, bs)]


summary = forwarder("summary", _summary, "m", module=__name__, doc="""\
Print the table of layers, output shapes and parameter counts; return it as text.

    Parameters
    ----------
    m : Model

    Returns
    -------
    str
    """)


plot = forwarder("plot", _plot, "m, fname='model.pdf', string='LR'", module=__name__, doc="""\
Draw the graph of ``m`` into ``fname`` with Graphviz (``string``: "LR" or "TB").

    Parameters
    ----------
    m : Model
    fname : str
    string : str

    Returns
    -------
    str
        The file written.
    """)


save = forwarder("save", _save, "m, fname, format='bin'", module=__name__, doc="""\
Save the weights of ``m`` (``format``: EDDL's ``"bin"`` layout or ``"npz"``).

    Parameters
    ----------
    m : Model
    fname : str
    format : str
    """)


load = forwarder("load", _load, "m, fname, format='bin'", module=__name__, doc="""\
Load weights into the built model ``m``; the architecture must match.

    Parameters
    ----------
    m : Model
    fname : str
    format : str
    """)


getLoss = forwarder("getLoss", get_loss, "name", module=__name__, doc="""\
The built-in loss called ``name`` (ValueError listing valid names otherwise).

    Parameters
    ----------
    name : str

    Returns
    -------
    Loss
    """)


getMetric = forwarder("getMetric", get_metric, "name", module=__name__, doc="""\
The built-in metric called ``name`` (ValueError listing valid names otherwise).

    Parameters
    ----------
    name : str

    Returns
    -------
    Metric
    """)


random_indices = forwarder(
    "random_indices", _random_indices,
    "batch_size, num_samples",
    module=__name__, doc="""\
``batch_size`` distinct random indices in ``[0, num_samples)``.

    Parameters
    ----------
    batch_size, num_samples : int

    Returns
    -------
    list of int
    """)


def toCPU(net, th=-1):
    """Move ``net`` to the CPU with ``th`` threads (rebuilding its buffers).

    Parameters
    ----------
    net : Model
    th : int
    """
    cs = CS_CPU(th)
    cs.activate()
    net.cs = cs


# --- optimizers ------------------------------------------------------------------------------

def _optimizer(name, cls, params, title, floats, flags=None):
    """Make the PyEDDL optimizer factory ``name(params)`` over ``cls``, documented from a row."""
    bools = f"\n    {flags} : bool" if flags else ""
    return forwarder(name, cls, params, module=__name__, doc=f"""\
{title} (see :class:`eddl.optimizers.{cls.__name__}`).

    Parameters
    ----------
    {floats} : float{bools}

    Returns
    -------
    Optimizer
    """)


sgd = _optimizer("sgd", _opt.SGD, "lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False",
                 "Stochastic gradient descent", "lr, momentum, weight_decay", "nesterov")
adam = _optimizer(
    "adam", _opt.Adam,
    "lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=0.000001, weight_decay=0, amsgrad=False",
    "Adam", "lr, beta_1, beta_2, epsilon, weight_decay", "amsgrad")
adamw = _optimizer(
    "adamw", _opt.AdamW,
    "lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01, amsgrad=False",
    "Adam with decoupled weight decay", "lr, beta_1, beta_2, epsilon, weight_decay", "amsgrad")
rmsprop = _optimizer("rmsprop", _opt.RMSProp, "lr=0.01, rho=0.9, epsilon=0.00001, weight_decay=0.0",
                     "RMSprop", "lr, rho, epsilon, weight_decay")
adagrad = _optimizer("adagrad", _opt.Adagrad, "lr, epsilon, weight_decay",
                     "Adagrad", "lr, epsilon, weight_decay")
adadelta = _optimizer("adadelta", _opt.AdaDelta, "lr, rho, epsilon, weight_decay",
                      "AdaDelta", "lr, rho, epsilon, weight_decay")
adamax = _optimizer("adamax", _opt.Adamax, "lr, beta_1, beta_2, epsilon, weight_decay",
                    "Adamax", "lr, beta_1, beta_2, epsilon, weight_decay")
nadam = _optimizer("nadam", _opt.Nadam, "lr, beta_1, beta_2, epsilon, schedule_decay",
                   "Nadam", "lr, beta_1, beta_2, epsilon, schedule_decay")


def setlr(net, p):
    """Change the optimizer's settings: ``p[0]`` = learning rate (SGD: ``p[1]`` = momentum).

    Parameters
    ----------
    net : Model
    p : list of float
    """
    net._require_built("setlr")
    net.optimizer.change(p)


# --- initializers and regularizers (wrap a layer, return it) -------------------------------

def _wrap_init(cls, doc):
    def f(l, *args, **kwargs):
        if not isinstance(l, Layer):
            raise TypeError(f"{cls.__name__}: first argument must be a layer, got {type(l).__name__}")
        init = cls(*args, **kwargs)
        for pname, _shape, _default in l.param_specs():
            if pname != "bias":
                l.initializers[pname] = init
        return l
    f.__name__ = f.__qualname__ = cls.__name__
    f.__doc__ = doc + """ Attach to the weights of ``l`` and return ``l``.

    Parameters
    ----------
    l : Layer
    *args, **kwargs
        Initializer settings (``seed``; ``m``/``s``, ``min``/``max``, ``v`` where relevant).

    Returns
    -------
    Layer
"""
    return f


GlorotNormal = _wrap_init(_init.GlorotNormal, "Glorot (Xavier) normal initializer.")
GlorotUniform = _wrap_init(_init.GlorotUniform, "Glorot (Xavier) uniform initializer.")
HeNormal = _wrap_init(_init.HeNormal, "He normal initializer.")
HeUniform = _wrap_init(_init.HeUniform, "He uniform initializer.")
LeCunNormal = _wrap_init(_init.LeCunNormal, "LeCun normal initializer.")
LeCunUniform = _wrap_init(_init.LeCunUniform, "LeCun uniform initializer.")
RandomNormal = _wrap_init(_init.RandomNormal, "Normal initializer.")
RandomUniform = _wrap_init(_init.RandomUniform, "Uniform initializer.")
Constant = _wrap_init(_init.Constant, "Constant initializer.")
Orthogonal = _wrap_init(_init.Orthogonal, "Orthogonal initializer.")


def _wrap_reg(cls):
    def f(l, *args):
        if not isinstance(l, Layer):
            raise TypeError(f"{cls.__name__}: first argument must be a layer, got {type(l).__name__}")
        if not l.param_specs():
            raise ValueError(f"{cls.__name__}: l={l.name!r} ({type(l).__name__}) has no weights "
                             f"to regularize; give a layer with weights (Dense, "
                             f"Conv, BatchNormalization, ...)")
        l.regularizer = cls(*args)
        return l
    f.__name__ = f.__qualname__ = cls.__name__
    f.__doc__ = f"""{cls.__name__} weight penalty on layer ``l``; returns ``l``.

    Parameters
    ----------
    l : Layer
    *args : float
        Penalty factors.

    Returns
    -------
    Layer
"""
    return f


L1 = _wrap_reg(_reg.L1)
L2 = _wrap_reg(_reg.L2)
L1L2 = _wrap_reg(_reg.L1L2)

# decoder inputs (teacher forcing) and generation with the same net
from .model.decoding import set_decoder, setDecoder  # noqa: E402
from .model.generation import beam_search, greedy_decode  # noqa: E402

__all__ += ["setDecoder", "set_decoder", "greedy_decode", "beam_search"]
