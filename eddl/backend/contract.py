"""The backend contract: what every computing backend provides, stated once.

A backend is a package under :mod:`eddl.backend` (``cpu``, ``reference``, later ``cuda`` and
``fpga``). Layers, losses, optimizers, the model and :class:`eddl.Tensor` reach device data only
through the backend object of their model or tensor, with the names below; none of them imports
a backend package or calls NumPy on device data. :func:`missing` lists what a backend lacks and
:func:`eddl.backend.registry.get` refuses a backend that lacks anything.

Arrays ("device arrays") are the backend's own array type (NumPy arrays for ``cpu`` and
``reference``, CuPy arrays on CUDA); host arrays are NumPy arrays. Every kernel that takes an
``out`` argument writes into that preallocated buffer and returns it, so a training step
allocates nothing once its buffers exist.

The element-wise and reduction op tables live here and nowhere else: they map each op name of
the contract to the function of the same meaning in an array namespace that follows NumPy's
names (NumPy, CuPy), so a backend can resolve them with ``getattr(xp, UNARY[name])``.
"""

from types import ModuleType
from typing import Protocol, runtime_checkable

__all__ = [
    "UNARY", "UNARY_EXTRA", "BINARY", "COMPARE", "REDUCTIONS", "FLOAT_ONLY",
    "Backend", "NN", "Conv", "Pool", "Norm", "Resample", "NAMESPACES", "FUNCTIONS", "missing",
]

#: unary op name -> array-namespace function (``unary(name, x)``)
UNARY = {
    "abs": "absolute", "neg": "negative", "exp": "exp", "log": "log", "log2": "log2",
    "log10": "log10", "sqrt": "sqrt", "sqr": "square", "floor": "floor", "ceil": "ceil",
    "round": "rint", "trunc": "trunc", "sign": "sign", "reciprocal": "reciprocal",
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "acos": "arccos",
    "atan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
}

#: unary ops that are no single array-namespace function, with their parameters
UNARY_EXTRA = {"sigmoid": (), "relu": (), "clamp": ("lo", "hi"), "pow_scalar": ("exponent",)}

#: binary op name -> array-namespace function (``binary(name, a, b)``, NumPy broadcasting)
BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
    "pow": "power", "mod": "fmod", "maximum": "maximum", "minimum": "minimum",
    "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
    "gt": "greater", "ge": "greater_equal",
}

#: binary ops whose result is boolean
COMPARE = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})

#: reduction name -> array-namespace function (``reduce(name, x, axis, keepdims)``)
REDUCTIONS = {
    "sum": "sum", "mean": "mean", "max": "max", "min": "min", "prod": "prod",
    "std": "std", "var": "var", "argmax": "argmax", "argmin": "argmin",
    "median": "median", "all": "all", "any": "any",
}

#: unary ops whose result is floating point even for integer input
FLOAT_ONLY = frozenset({
    "exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "sigmoid", "reciprocal"})


@runtime_checkable
class NN(Protocol):
    """``be.nn``: activation kernels, fused loss gradients and the optimizer updates.

    Every function writes into its ``out`` (or updates its parameter and state buffers) in
    place; shapes and dtypes of all arrays agree.
    """

    def bias_grad(self, delta, out): """``out = delta.sum(axis=0)`` for a 2-D ``delta``."""
    def relu_forward(self, x, out): """``out = max(x, 0)``."""
    def relu_backward(self, y, dy, out, accumulate=False): """``out (+)= dy * (y > 0)``."""
    def softmax_forward(self, x, out, axis=-1): """Stable softmax along ``axis``."""
    def softmax_backward(self, y, dy, out, axis=-1): """``out = y * (dy - sum(dy * y))``."""
    def softmax_ce_delta(self, y, t, out, scale): """``out = (y - t) * scale``."""
    def nonfinite(self, x): """Return True when ``x`` holds a NaN or an infinity (a Python bool)."""
    def sgd_update(self, p, g, v, lr, momentum, nesterov): """SGD (momentum, Nesterov) step."""
    def adam_update(self, p, g, m, v, vmax, lr, beta_1, beta_2, eps, step, amsgrad):
        """Adam step with bias correction (AMSGrad maximum in ``vmax``)."""
    def rmsprop_update(self, p, g, s, lr, rho, eps): """RMSprop step."""


@runtime_checkable
class Conv(Protocol):
    """``be.conv``: channels-first convolutions with 1 to 3 spatial axes.

    ``x`` is ``N x C x *spatial``, ``w`` is ``F x C/groups x *kernel``; ``stride``, ``pad``
    (zero padding before each axis; the padding after is implied by the output size) and
    ``dilation`` hold one value per spatial axis.
    """

    def out_size(self, n, k, s, p_before, p_after, d): """Output length along one axis."""
    def conv_forward(self, x, w, out, stride, pad, dilation, groups=1, accumulate=False):
        """``out (=|+=) conv(x, w)`` (cross-correlation)."""
    def conv_backward_data(self, dy, w, dx, stride, pad, dilation, groups=1, accumulate=False):
        """``dx (=|+=)`` the input gradient (a transposed convolution's forward pass)."""
    def conv_backward_weights(self, x, dy, dw, stride, pad, dilation, groups=1, accumulate=False):
        """``dw (=|+=)`` the weight gradient."""
    def bias_add(self, y, bias): """``y[:, c, ...] += bias[c]``."""
    def bias_grad(self, dy, out, accumulate=False): """``out[c] (=|+=) dy[:, c, ...].sum()``."""
    def channel_epilogue(self, x, out, scale=None, shift=None, residual=None, activation="none",
                         alpha=0.0):
        """``out = act(x * scale[c] + shift[c] + residual)``: a fused convolution's epilogue."""


@runtime_checkable
class Pool(Protocol):
    """``be.pool``: max and average pooling.

    Windows are clipped to the input (padding never wins a max and is not counted in an
    average) and the output size says how far the last window reaches. ``indices`` is an int32
    buffer shaped like the output whose encoding only the same backend's ``max_pool_backward``
    reads.
    """

    def max_pool_forward(self, x, out, indices, size, stride, pad):
        """Window maxima; their positions into ``indices`` unless it is None (inference)."""
    def max_pool_backward(self, dy, indices, dx, accumulate=False): """Route ``dy`` to maxima."""
    def avg_pool_forward(self, x, out, size, stride, pad): """Window means."""
    def avg_pool_backward(self, dy, dx, size, stride, pad, accumulate=False):
        """Gradient of the window means."""


@runtime_checkable
class Norm(Protocol):
    """``be.norm``: statistics and affine maps over ``A x C x L`` arrays.

    One statistic per ``C`` index (batch normalization passes ``N x C x spatial``).
    """

    def stats(self, x, mean, var, invstd, eps): """Per-``c`` mean, biased variance, 1/std."""
    def affine(self, x, out, scale, shift): """``out = x * scale[c] + shift[c]``."""
    def backward(self, xhat, dy, gamma, invstd, dx, sum_dy, sum_dy_xhat, accumulate=False):
        """Gradient through ``gamma[c] * xhat`` with batch statistics (``dx`` may be None)."""


@runtime_checkable
class Resample(Protocol):
    """``be.resample``: separable nearest/linear resampling.

    One ``out x in`` matrix per spatial axis (ONNX ``Resize`` coordinate transformations).
    """

    def resample_matrix(self, n_in, n_out, mode="nearest", transform="asymmetric",
                        dtype="float32"): """Return the matrix resampling one axis."""
    def resample(self, x, out, mats): """Resample every spatial axis of ``x`` into ``out``."""
    def resample_backward(self, dy, dx, mats, accumulate=False): """Apply the transposed maps."""


@runtime_checkable
class Backend(Protocol):
    """What ``be`` (``model.be``, a tensor's backend) provides.

    ===================  ========================================================================
    group                names
    ===================  ========================================================================
    identity             ``name`` (registry name), ``device`` (the ``DEV_*`` code its tensors
                         carry), ``xp`` (its array namespace), ``array_types``
    allocation           ``empty(shape, dtype)``, ``zeros(shape, dtype)``, ``rng(seed)``
    host transfer        ``to_host(a)`` (a NumPy array), ``from_host(a, dtype=None, out=None,
                         rows=None)``, ``scalar(value, dtype)`` (a 0-d device array)
    GEMM                 ``gemm``, ``gemm_batched`` (the backend picks its threading policy)
    element-wise         ``unary(name, x, out=None, **params)``, ``binary(name, a, b, out=None)``
                         over :data:`UNARY`, :data:`UNARY_EXTRA`, :data:`BINARY`
    reductions           ``reduce(name, x, axis=None, keepdims=False)`` over :data:`REDUCTIONS`
    kernel families      ``nn`` (:class:`NN`: activations, optimizer updates), ``conv``
                         (:class:`Conv`), ``pool`` (:class:`Pool`), ``norm`` (:class:`Norm`),
                         ``resample`` (:class:`Resample`)
    ===================  ========================================================================
    """

    name: str
    device: int
    xp: ModuleType
    array_types: tuple
    nn: NN
    conv: Conv
    pool: Pool
    norm: Norm
    resample: Resample

    def empty(self, shape, dtype): """Uninitialised device buffer."""
    def zeros(self, shape, dtype): """Zero-filled device buffer."""
    def rng(self, seed=None): """Return a random generator whose draws are device arrays."""
    def to_host(self, a): """Return ``a`` as a NumPy array (no copy where the memory is shared)."""
    def from_host(self, a, dtype=None, out=None, rows=None):
        """Return host array ``a`` (its rows ``rows`` when given) as a device array.

        With ``out``, copy and cast it into that device buffer instead.
        """
    def scalar(self, value, dtype): """``value`` as a 0-d device array of ``dtype``."""
    def gemm(self, a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
        """``out = alpha * op(a) @ op(b) + beta * out``."""
    def gemm_batched(self, a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
        """One GEMM per batch entry (one operand may be 2-D and shared)."""
    def unary(self, name, x, out=None, **params): """Element-wise ``name`` of ``x``."""
    def binary(self, name, a, b, out=None): """Broadcasting ``name`` of ``a`` and ``b``."""
    def reduce(self, name, x, axis=None, keepdims=False): """Reduction ``name`` over ``axis``."""


def _members(proto, skip=()):
    ann = getattr(proto, "__annotations__", {})
    names = [n for n in vars(proto) if not n.startswith("_")] + list(ann)
    return tuple(sorted(n for n in dict.fromkeys(names) if n not in skip))


#: kernel families of a backend and the protocol each one follows
NAMESPACES = {"nn": NN, "conv": Conv, "pool": Pool, "norm": Norm, "resample": Resample}

#: every name of the contract: ``""`` for the backend's top level, else the family
FUNCTIONS = {"": _members(Backend, skip=NAMESPACES),
             **{k: _members(p) for k, p in NAMESPACES.items()}}


def missing(backend):
    """Return the contract names ``backend`` lacks (dotted for kernel families), sorted.

    Parameters
    ----------
    backend : module or object
        A backend, e.g. :mod:`eddl.backend.cpu`.

    Returns
    -------
    list of str
        Empty when ``backend`` provides the whole contract.

    Examples
    --------
    >>> from eddl.backend import contract, registry
    >>> contract.missing(registry.get("reference"))
    []
    """
    out = [n for n in FUNCTIONS[""] + tuple(NAMESPACES) if not hasattr(backend, n)]
    for ns, names in FUNCTIONS.items():
        if ns and hasattr(backend, ns):
            sub = getattr(backend, ns)
            out += [f"{ns}.{n}" for n in names if not callable(getattr(sub, n, None))]
    return sorted(out)


