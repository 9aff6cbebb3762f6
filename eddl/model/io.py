"""Saving and loading model weights: NumPy ``.npz`` and EDDL's binary ``.bin`` layout.

Neither format can run code when read: ``.npz`` files are opened with ``allow_pickle=False``
and ``.bin`` files are parsed field by field (``int32`` ndim, ``int32`` shape, ``float32`` data
per parameter, in layer order; no header, no names). A file that does not fit the model
raises :class:`~eddl.TensorFormatError` (a ``ValueError``) naming it.
"""

import os
import struct

import numpy as np

from _deephealth.atomic import atomic_path

from ..tensor import safeload
from ..tensor._checks import TensorFormatError

__all__ = ["save", "load", "save_npz", "load_npz", "save_bin", "load_bin"]


def _named_params(net):
    # trainable parameters, then non-trained state such as BatchNormalization's running
    # statistics (EDDL's .bin order: bn_g, bn_b, mean, variance)
    for l in net.layers:
        for name, p in zip(l.param_names, l.params):
            yield l, name, p
        for name, p in zip(getattr(l, "state_names", []), getattr(l, "states", [])):
            yield l, name, p


def _write_atomic(fname, write):
    with atomic_path(fname) as tmp, open(tmp, "xb") as f:
        write(f)


def _npz_keys(net):
    # position first: two nets of the same architecture built apart have different automatic
    # layer names, so parameters are matched by order; the names are kept for readers
    return [(f"{i:04d}:{l.name}/{name}", l, name, p)
            for i, (l, name, p) in enumerate(_named_params(net))]


def save_npz(net, fname):
    """Write every parameter as an array ``NNNN:<layer>/<param>`` of an uncompressed ``.npz``."""
    net._require_built("save")
    arrays = {k: net.be.to_host(p) for k, _, _, p in _npz_keys(net)}
    _write_atomic(fname, lambda f: np.savez(f, **arrays))


def load_npz(net, fname):
    """Read weights written by :func:`save_npz` into a model of the same architecture."""
    net._require_built("load")
    arrays = safeload.load_npz(fname)  # TensorFormatError naming the file when unreadable
    expected = _npz_keys(net)
    keys = sorted(arrays)
    if len(keys) != len(expected):
        raise TensorFormatError(f"load: {fname!r} holds {len(keys)} parameters, the model has "
                                f"{len(expected)} (a different architecture?)")
    values = []
    for fkey, (key, _, _, p) in zip(keys, expected):
        v = arrays[fkey]
        if v.shape != p.shape or v.dtype.kind != "f":
            raise TensorFormatError(f"load: parameter {key!r} of the model is {list(p.shape)} but "
                                    f"the file {fname!r} has {list(v.shape)} of {v.dtype} in "
                                    f"{fkey[:200]!r}")
        values.append(v)
    for (_, _, _, p), v in zip(expected, values):
        p[...] = net.be.from_host(v)


def save_bin(net, fname):
    """EDDL's layout: for each parameter ``int32 ndim, int32 shape[ndim], float32 data``."""
    net._require_built("save")

    def write(f):
        for _, _, p in _named_params(net):
            a = np.ascontiguousarray(net.be.to_host(p), dtype="<f4")
            f.write(struct.pack("<i", a.ndim))
            f.write(struct.pack(f"<{a.ndim}i", *a.shape))
            f.write(a.tobytes())
    _write_atomic(fname, write)


def load_bin(net, fname):
    """Read an EDDL ``.bin`` weights file into a model of the same architecture."""
    net._require_built("load")
    with safeload.reading(fname, "unreadable .bin weights file"):
        safeload.check_load_size(fname, os.path.getsize(fname), os.path.getsize(fname), "weights file")
        with open(fname, "rb") as f:
            raw = f.read()
    pos, values = 0, []
    for l, name, p in _named_params(net):
        key = f"{l.name}/{name}"
        if pos + 4 > len(raw):
            raise TensorFormatError(f"load: {fname!r} ends before parameter {key!r} (truncated or a "
                             f"different architecture)")
        ndim = struct.unpack_from("<i", raw, pos)[0]
        pos += 4
        if not 0 <= ndim <= 8 or pos + 4 * ndim > len(raw):
            raise TensorFormatError(f"load: {fname!r} is corrupt at parameter {key!r} (ndim {ndim})")
        shape = struct.unpack_from(f"<{ndim}i", raw, pos)
        pos += 4 * ndim
        if tuple(shape) != tuple(p.shape):
            raise TensorFormatError(f"load: parameter {key!r} has shape {list(shape)} in {fname!r} but "
                             f"{list(p.shape)} in the model")
        size = 4 * int(np.prod(shape))
        if pos + size > len(raw):
            raise TensorFormatError(f"load: {fname!r} is truncated inside parameter {key!r}")
        values.append(np.frombuffer(raw, dtype="<f4", count=size // 4, offset=pos).reshape(shape))
        pos += size
    if pos != len(raw):
        raise TensorFormatError(f"load: {fname!r} has {len(raw) - pos} bytes after the last parameter "
                         f"(a different architecture?)")
    for (_, _, p), v in zip(_named_params(net), values):
        p[...] = net.be.from_host(v)


_FORMATS = {"bin": (save_bin, load_bin), "npz": (save_npz, load_npz)}


def _fmt(fmt, what):
    if fmt not in _FORMATS:
        raise ValueError(f"{what}: unknown format {fmt!r}; valid: {sorted(_FORMATS)}")
    return _FORMATS[fmt]


def save(net, fname, format="bin"):  # noqa: A002 - PyEDDL's name
    """Save the weights of ``net`` to ``fname`` (``format``: ``"bin"`` or ``"npz"``)."""
    _fmt(format, "save")[0](net, fname)


def load(net, fname, format="bin"):  # noqa: A002
    """Load weights saved by :func:`save` into a built model of the same architecture."""
    _fmt(format, "load")[1](net, fname)
