"""Name tables: one helper for layers, losses, metrics, activations and augmentations.

A :class:`Registry` maps the names users write (PyEDDL's ``"soft_cross_entropy"``, a DSL's
``AugRotate``, a configuration's ``"Conv2D"``) to the object that implements them. Each
entry has one canonical name and any number of aliases, so a PyEDDL or PyECVL spelling and
its pythonic twin resolve to the same implementation. :func:`alias` does the same for plain
functions exported under two names, and :func:`output_alias` for a twin that writes its
result into a destination argument instead of returning it.
"""

import difflib
import functools
import inspect

__all__ = ["Registry", "alias", "output_alias"]


class Registry:
    """A table of named objects with aliases and helpful lookup errors.

    Parameters
    ----------
    kind : str
        What the table holds ("loss", "layer", ...), used in error messages.

    Examples
    --------
    >>> losses = Registry("loss")
    >>> @losses.register("mean_squared_error", "mse")
    ... class MSE:
    ...     pass
    >>> losses.get("mse") is MSE
    True
    >>> losses.canonical("mse")
    'mean_squared_error'
    """

    def __init__(self, kind):
        self.kind = kind
        self._items = {}
        self._canonical = {}

    def register(self, *names, obj=None, replace=False):
        """Register ``obj`` under ``names`` (the first is canonical); usable as a decorator.

        Registering a name again for a different object raises ``ValueError``, so two
        implementations can never silently share a name; ``replace=True`` lets the new
        object take the names over instead (a class defined again, as when a notebook
        cell runs twice).
        """
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"{self.kind} registration needs one or more non-empty names, got {names!r}")

        def add(target):
            if not replace:
                for n in names:
                    known = self._items.get(n, _MISSING)
                    if known is not _MISSING and known is not target:
                        raise ValueError(
                            f"{self.kind} name {n!r} is already registered for {known!r}")
            for n in names:
                self._items[n] = target
                self._canonical[n] = names[0]
            return target

        return add if obj is None else add(obj)

    def unregister(self, name):
        """Remove ``name`` and every other name of the same entry; return the object.

        For tables extended at run time (plug-ins, tests) that must be put back as they were.

        Raises
        ------
        ValueError
            For an unknown name.
        """
        target = self.get(name)
        canonical = self._canonical[name]
        for n in [n for n, c in self._canonical.items() if c == canonical]:
            del self._items[n]
            del self._canonical[n]
        return target

    def get(self, name):
        """Return the object registered as ``name``.

        Raises
        ------
        ValueError
            For an unknown name: the message names the closest valid names.
        """
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise ValueError(self._unknown(name)) from None

    def create(self, name, *args, passthrough=None, unknown=None, **kwargs):
        """Return a new object of the class registered as ``name``, ``cls(*args, **kwargs)``.

        The one lookup behind ``get_loss``-style functions: ``name`` may already be an instance
        of ``passthrough`` (a class or tuple of classes), returned as is, and a name registered
        for None (a "none" choice) gives None.

        Parameters
        ----------
        name : str or object
        *args, **kwargs
            Passed to the class.
        passthrough : type or tuple of type, optional
        unknown : str, optional
            Message of the error for an unknown name, a ``str.format`` template with the fields
            ``name`` (the name given) and ``valid`` (the list of names); the message of
            :meth:`get` when omitted.

        Raises
        ------
        ValueError
            For an unknown name.
        """
        if passthrough is not None and isinstance(name, passthrough):
            return name
        if unknown is not None and name not in self:
            raise ValueError(unknown.format(name=name, valid=self.names()))
        cls = self.get(name)
        return None if cls is None else cls(*args, **kwargs)

    def canonical(self, name):
        """Return the canonical name of ``name`` (itself when it is not an alias)."""
        self.get(name)
        return self._canonical[name]

    def names(self):
        """Every registered name, aliases included, sorted."""
        return sorted(self._items)

    def items(self):
        """``(name, object)`` pairs, aliases included, sorted by name."""
        return sorted(self._items.items(), key=lambda kv: kv[0])

    def __getitem__(self, name):
        """Like :meth:`get`, but an unknown name raises ``KeyError`` (mapping style)."""
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise KeyError(self._unknown(name)) from None

    def __iter__(self):
        """Iterate over the registered names, aliases included, sorted."""
        return iter(self.names())

    def __contains__(self, name):
        try:
            return name in self._items
        except TypeError:
            return False

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"<Registry of {len(self._items)} {self.kind} names>"

    def _unknown(self, name):
        msg = f"unknown {self.kind} {_short(name)}"
        if isinstance(name, str):
            close = difflib.get_close_matches(name, self._items, n=3)
            if close:
                return f"{msg}; did you mean {', '.join(map(repr, close))}?"
        return f"{msg}; valid: {self.names()}"


_MISSING = object()


def _short(value, limit=80):
    # Names can come from untrusted files: never echo an unbounded value.
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def alias(func, name, doc=None):
    """Return ``func`` under another public ``name`` (a PyEDDL/PyECVL spelling of it).

    The twin calls the same implementation; only ``__name__``, ``__qualname__`` and the first
    docstring line change, so help and tracebacks show the name the user called.
    """

    @functools.wraps(func)
    def twin(*args, **kwargs):
        return func(*args, **kwargs)

    twin.__name__ = twin.__qualname__ = name
    twin.__doc__ = doc if doc is not None else (
        f"Alias of :func:`{func.__module__}.{func.__name__}`.\n\n{func.__doc__ or ''}")
    return twin


def output_alias(func, name, write, doc=None, renamed=None):
    """Return ``func``'s twin in the "src, dst" convention under another public ``name``.

    ``func(src, *args, **kwargs)`` returns its result; the twin takes a destination right
    after the first parameter, ``twin(src, dst, *args, **kwargs)``, calls ``func`` with the
    other arguments and hands the result to ``write(dst, result, name)`` (PyECVL's
    ``Rotate2D(src, dst, angle)`` over ``rotate2d(src, angle)``). The twin returns ``None``
    and shows ``func``'s signature with ``dst`` inserted, so help and keyword calls work.
    ``renamed`` maps twin parameter names to ``func``'s where the two spellings differ
    (``{"seed": "rng"}``).
    """
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if not params or params[0].kind not in (inspect.Parameter.POSITIONAL_ONLY,
                                            inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise ValueError(f"{name}: {func.__name__} needs a positional first parameter")
    to_func = dict(renamed or {})
    unknown = sorted(set(to_func.values()) - set(sig.parameters))
    if unknown:
        raise ValueError(f"{name}: {func.__name__} has no parameter {', '.join(unknown)}")
    from_func = {v: k for k, v in to_func.items()}
    params = [p.replace(name=from_func.get(p.name, p.name)) for p in params]
    dst_param = inspect.Parameter("dst", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    try:
        twin_sig = sig.replace(parameters=[params[0], dst_param] + params[1:],
                               return_annotation=inspect.Signature.empty)
    except ValueError:
        raise ValueError(f"{name}: {func.__name__} already has a parameter called 'dst' "
                         f"(or two parameters share a name after renaming)") from None

    @functools.wraps(func)
    def twin(*args, **kwargs):
        arguments = dict(twin_sig.bind(*args, **kwargs).arguments)
        dst = arguments.pop("dst")
        call = inspect.BoundArguments(
            sig, {to_func.get(k, k): v for k, v in arguments.items()})
        write(dst, func(*call.args, **call.kwargs), name)

    twin.__name__ = twin.__qualname__ = name
    twin.__signature__ = twin_sig
    twin.__doc__ = doc if doc is not None else (
        f"Form of :func:`{func.__module__}.{func.__name__}` that writes its result into "
        f"``dst``.")
    return twin
