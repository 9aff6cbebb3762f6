"""The layer tables: class names for configurations, PyEDDL names for the factories.

Two :class:`~_deephealth.registry.Registry` tables answer the questions a configuration, an
ONNX importer or a user asks about layers:

- :data:`LAYERS` maps a class name (``"Conv2D"``, ``"Activation"``) to the layer class; a
  model configuration names its layers this way.
- :data:`PYEDDL` maps a PyEDDL name (``"Conv2D"``, ``"ReLu"``, ``"MaxPool2D"``) to its
  :class:`Factory`: the class it builds, the factory's signature and docstring, and how the
  factory's arguments become constructor arguments (fixed values, renamed or packed ones).

A layer registers with one decorator beside its class, and the factory ``eddl.Name`` is
generated from that declaration (:func:`factory_function`), so a new layer is written in one
place::

    @register_layer("Dense")
    class Dense(Layer):
        '''Fully connected layer ... (the docstring of eddl.Dense)'''
        def __init__(self, parent, ndim, use_bias=True, name=""): ...

    @register_layer("ReLu", fixed={"activation": "relu"}, doc="``max(x, 0)``.")
    class Activation(Layer): ...
"""

import ast
import copy
import difflib
import functools
import inspect

from _deephealth.registry import Registry

__all__ = ["LAYERS", "PYEDDL", "Factory", "register_layer", "register_factory",
           "layer_class", "factory_function", "forwarder", "constructor_parameters",
           "plain_value"]

#: class name -> layer class (the ``class_name`` of a layer configuration)
LAYERS = Registry("layer class")
#: PyEDDL name -> :class:`Factory`
PYEDDL = Registry("PyEDDL layer")


def _parse_params(text, where):
    """``inspect.Parameter`` list from a signature written as Python (literal defaults only)."""
    try:
        args = ast.parse(f"def f({text}): pass").body[0].args
    except SyntaxError as exc:
        raise ValueError(f"{where}: bad factory signature {text!r}: {exc}") from None
    names = [a.arg for a in args.args]
    defaults = [ast.literal_eval(d) for d in args.defaults]
    first_default = len(names) - len(defaults)
    out = []
    for i, n in enumerate(names):
        if i >= first_default:
            out.append(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                         default=defaults[i - first_default]))
        else:
            out.append(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD))
    if args.kwarg is not None:
        out.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return out


def constructor_parameters(cls):
    """Return the parameters of ``cls.__init__`` without ``self``.

    The result is a list of ``inspect.Parameter``; for a function, its parameters.
    """
    if not isinstance(cls, type):
        return list(inspect.signature(cls).parameters.values())
    return list(inspect.signature(cls.__init__).parameters.values())[1:]


class Factory:
    """How the PyEDDL function ``name`` builds a layer of class ``cls``.

    Parameters
    ----------
    name : str
        The PyEDDL name (``eddl.<name>``).
    cls : type
        The layer class it builds.
    params : str, optional
        The factory's parameters written as Python (``"parent, size, name=''"``), when they
        differ from the constructor's (order, defaults, names). By default the constructor's
        parameters, without those in ``fixed``, ``hidden`` and ``pack``'s targets.
    fixed : dict, optional
        Constructor arguments the factory always passes (``{"activation": "relu"}``).
    rename : dict, optional
        Factory parameter -> constructor parameter (``{"l": "parent"}``).
    pack : dict, optional
        Constructor parameter -> factory parameters gathered into a list
        (``{"params": ["alpha"]}`` turns ``LeakyReLu(x, 0.1)`` into ``params=[0.1]``).
    hidden : tuple of str
        Constructor parameters the factory does not offer (their defaults apply).
    doc : str, optional
        The factory's docstring; the class docstring by default.
    func : callable, optional
        A hand-written factory (one that chooses the class or computes arguments from its
        parents); it is exported as it is.
    positional : bool
        Pass the arguments to ``cls`` in the order of ``params`` instead of by name (what
        :func:`forwarder` does; ``cls`` may then be any callable).
    check : dict, optional
        Parameter -> type its argument must have; a TypeError names the function otherwise.
    """

    def __init__(self, name, cls, params=None, fixed=None, rename=None, pack=None, hidden=(),
                 doc=None, func=None, positional=False, check=None):
        self.name = name
        self.cls = cls
        self.positional = positional
        self.check = dict(check or {})
        self.fixed = dict(fixed or {})
        self.rename = dict(rename or {})
        self.pack = {k: list(v) for k, v in (pack or {}).items()}
        self.func = func
        if func is not None:
            self.signature = inspect.signature(func)
            self.doc = func.__doc__ if doc is None else doc
            return
        if params is None:
            skip = set(self.fixed) | set(hidden) | set(self.pack)
            plist = [p for p in constructor_parameters(cls) if p.name not in skip]
        else:
            plist = _parse_params(params, f"PyEDDL {name}")
        self.signature = inspect.Signature(plist)
        self.doc = cls.__doc__ if doc is None else doc
        if not positional:
            self._check()

    def _check(self):
        """Every constructor parameter without a default must be reachable."""
        packed = {p for ps in self.pack.values() for p in ps}
        targets = {self.rename.get(n, n) for n in self.signature.parameters if n not in packed}
        targets |= set(self.fixed) | set(self.pack)
        ctor = {p.name: p for p in constructor_parameters(self.cls)}
        for n in targets:
            if n not in ctor:
                raise TypeError(f"PyEDDL {self.name}: {self.cls.__name__} has no parameter {n!r}")
        for n in packed:
            if n not in self.signature.parameters:
                raise TypeError(f"PyEDDL {self.name}: packs unknown parameter {n!r}")
        for n, p in ctor.items():
            if p.default is inspect.Parameter.empty and n not in targets:
                raise TypeError(f"PyEDDL {self.name}: {self.cls.__name__} parameter {n!r} "
                                f"has no value")

    def constructor_arguments(self, *args, **kwargs):
        """Return the keyword arguments of ``cls`` for the factory call ``name(*args, **kwargs)``."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.name}(): {exc}") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        for n, kind in self.check.items():
            if not isinstance(values[n], kind):
                raise TypeError(f"{self.name}: expected a {kind.__name__}, got "
                                f"{type(values[n]).__name__}")
        for n, p in self.signature.parameters.items():
            # a list default must not be shared between layers
            if values.get(n) is p.default and isinstance(p.default, (list, dict)):
                values[n] = copy.deepcopy(p.default)
        out = {}
        packed = {p for ps in self.pack.values() for p in ps}
        for n, v in values.items():
            if n not in packed:
                out[self.rename.get(n, n)] = v
        for target, sources in self.pack.items():
            out[target] = [values[s] for s in sources]
        for n, v in self.fixed.items():
            out[n] = copy.deepcopy(v)
        return out

    def __call__(self, *args, **kwargs):
        if self.func is not None:
            return self.func(*args, **kwargs)
        values = self.constructor_arguments(*args, **kwargs)
        if not self.positional:
            return self.cls(**values)
        # a forwarder: the values in the order of the forwarder's own parameters
        pos, extra = [], {}
        for n, p in self.signature.parameters.items():
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                extra = values.get(n, {})
            else:
                pos.append(values[n])
        return self.cls(*pos, **extra)

    def __repr__(self):
        return f"<PyEDDL {self.name}{self.signature} -> {self.cls.__name__}>"


def register_layer(*pyeddl_names, **factory_options):
    """Class decorator: register a layer class and, optionally, its PyEDDL factories.

    Parameters
    ----------
    *pyeddl_names : str
        PyEDDL names built with ``factory_options`` (see :class:`Factory`); the same options
        for each name. Register names with other options with :func:`register_factory`.
    **factory_options
        ``params``, ``fixed``, ``rename``, ``pack``, ``hidden``, ``doc``.

    Examples
    --------
    >>> import eddl
    >>> from eddl.layers.registry import layer_class
    >>> layer_class("Conv2D").__name__, layer_class("ReLu").__name__
    ('Conv2D', 'Activation')
    """
    def add(cls):
        LAYERS.register(cls.__name__, obj=cls)
        for n in pyeddl_names:
            register_factory(n, cls, **factory_options)
        return cls
    return add


def register_factory(name, cls, **options):
    """Register the PyEDDL factory ``name`` building ``cls`` (options of :class:`Factory`)."""
    if cls.__name__ not in LAYERS:
        LAYERS.register(cls.__name__, obj=cls)
    f = Factory(name, cls, **options)
    PYEDDL.register(name, obj=f)
    return f


def layer_class(name):
    """Return the layer class for a PyEDDL name (``"ReLu"`` -> Activation) or a class name.

    Raises
    ------
    ValueError
        For an unknown name; the message suggests close ones.
    """
    if name in PYEDDL:
        return PYEDDL.get(name).cls
    if name in LAYERS or not isinstance(name, str):
        return LAYERS.get(name)
    close = difflib.get_close_matches(name, set(PYEDDL.names()) | set(LAYERS.names()), n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"unknown layer {name[:80]!r} (neither a PyEDDL name nor a layer class)"
                     f"{hint}")


@functools.cache
def factory_function(name):
    """Return the function ``eddl.<name>``.

    It is the :class:`Factory` wrapped with its own name, signature and docstring (built once
    per name).
    """
    f = PYEDDL.get(name)
    return f.func if f.func is not None else _function(f, "eddl.layers.factories")


def _function(f, module):
    def call(*args, **kwargs):
        return f(*args, **kwargs)

    call.__name__ = call.__qualname__ = f.name
    call.__module__ = module
    call.__signature__ = f.signature
    call.__doc__ = f.doc
    call.factory = f
    return call


def forwarder(name, target, params, module, doc, check=None):
    """Make a public function ``name(params)`` that calls ``target`` with its arguments in order.

    The one way the PyEDDL-named functions that only pass their arguments on (``fit``,
    ``train_batch``, ``sgd``, ...) are made: ``params`` is the public signature written as
    Python, ``check`` maps a parameter to the type it must have (a TypeError names the
    function otherwise).

    Examples
    --------
    >>> def area(w, h):
    ...     return w * h
    >>> rect = forwarder("rect", area, "width, height=2", __name__, "Area of a rectangle.")
    >>> rect(3), rect.__name__
    (6, 'rect')
    """
    return _function(Factory(name, target, params=params, doc=doc, positional=True,
                             check=check), module)


def plain_value(value, where):
    """``value`` as JSON-able data (tuples become lists); TypeError naming ``where`` if not."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain_value(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain_value(v, where) for k, v in value.items()}
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        return plain_value(item(), where)
    tolist = getattr(value, "tolist", None)  # arrays
    if callable(tolist):
        return plain_value(tolist(), where)
    raise TypeError(f"{where}: {type(value).__name__} value {value!r} cannot be written to a "
                    f"configuration")
