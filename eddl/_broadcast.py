"""EDDL's broadcasting rule, shared by :meth:`eddl.Tensor.broadcast` and the Broadcast layer.

NumPy aligns the trailing axes. EDDL also places a 1-D array along the one axis of the
target whose length matches (``A[3]`` and ``B[3, 4]`` give ``[3, 4]``, with ``A`` running
down the rows), which NumPy rejects; both rules are answered here by one function.
"""

__all__ = ["aligned_shape"]


def aligned_shape(shape, target, what):
    """Return ``shape`` with size-1 axes inserted so it broadcasts to ``target`` axis by axis.

    Parameters
    ----------
    shape : sequence of int
        Shape of the array to broadcast.
    target : sequence of int
        Shape to broadcast to.
    what : str
        Caller named in error messages.

    Returns
    -------
    tuple of int
        Same number of axes as ``target``; each axis equals the target's or is 1.

    Raises
    ------
    ValueError
        When ``shape`` has more axes than ``target``, when a 1-D ``shape`` matches no axis of
        ``target`` (or several, none of them the last), or when an axis is neither 1 nor the
        target's length.

    Examples
    --------
    >>> aligned_shape([4], [3, 4], "demo")        # NumPy's rule: the last axis
    (1, 4)
    >>> aligned_shape([3], [2, 3, 5], "demo")     # EDDL's rule: the axis of length 3
    (1, 3, 1)
    """
    shape, target = tuple(int(d) for d in shape), tuple(int(d) for d in target)
    if len(shape) > len(target):
        raise ValueError(f"{what}: cannot broadcast shape {list(shape)} to {list(target)} "
                         f"(more axes than the target)")
    pad = len(target) - len(shape)
    if len(shape) == 1 and pad and shape[0] != 1 and shape[0] != target[-1]:
        axes = [i for i, d in enumerate(target) if d == shape[0]]
        if len(axes) != 1:
            found = "no axis" if not axes else f"axes {axes}"
            raise ValueError(f"{what}: cannot place a 1-D shape {list(shape)} in {list(target)}: "
                             f"{found} of length {shape[0]} (valid: exactly one such axis, or "
                             f"the last)")
        return tuple(shape[0] if i == axes[0] else 1 for i in range(len(target)))
    out = (1,) * pad + shape
    for i, (a, b) in enumerate(zip(out, target)):
        if a not in (1, b):
            raise ValueError(f"{what}: cannot broadcast shape {list(shape)} to {list(target)}: "
                             f"axis {i} has length {a}, valid: 1 or {b}")
    return out
