"""A model's architecture as plain data: ``Model`` -> dict / JSON -> ``Model``.

The configuration holds the layer graph only (no weights, optimizer or losses): each layer's
class name, its constructor arguments (:meth:`eddl.layers.Layer.get_config`) and the names of
its parents. It is built from plain values, so reading one never runs code (no pickle, no
eval). Weights travel separately (:func:`eddl.save` / :func:`eddl.load`)::

    {"format": "eddl.model", "version": 1, "name": "model",
     "inputs": ["input1"], "outputs": ["softmax3"],
     "layers": [{"class_name": "Input", "config": {"shape": [784], "name": "input1"},
                 "inbound": []},
                {"class_name": "Dense", "config": {"ndim": 10, "use_bias": true,
                 "name": "dense2"}, "inbound": ["input1"]}, ...]}
"""

from ..layers.registry import LAYERS
from . import decoding

__all__ = ["FORMAT", "VERSION", "model_config", "layers_from_config"]

FORMAT = "eddl.model"
VERSION = 1

_LAYER_KEYS = {"class_name", "config", "inbound", "trainable", "detached", "decoder"}


def model_config(net):
    """Return the configuration dict of ``net`` (see the module documentation)."""
    layers = []
    for l in net.layers:
        if type(l).__name__ not in LAYERS or LAYERS.get(type(l).__name__) is not type(l):
            raise TypeError(f"model {net.name!r}: layer {l.name!r} is a {type(l).__name__}, "
                            f"which is not a registered layer class; register it with "
                            f"eddl.layers.registry.register_layer to write its configuration")
        entry = {"class_name": type(l).__name__, "config": l.get_config(),
                 "inbound": [p.name for p in l.parents]}
        if not l.trainable:
            entry["trainable"] = False
        if l.detached:
            entry["detached"] = True
        if decoding.is_decoder_input(l):
            entry["decoder"] = {"start_token": l._decoder.start_token}
        layers.append(entry)
    return {"format": FORMAT, "version": VERSION, "name": net.name,
            "inputs": [l.name for l in net.lin], "outputs": [l.name for l in net.lout],
            "layers": layers}


def _field(d, key, kind, where):
    if key not in d:
        raise ValueError(f"{where}: field {key!r} is missing")
    v = d[key]
    if not isinstance(v, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ValueError(f"{where}: field {key!r} must be a {names}, got {type(v).__name__}")
    return v


def _names(d, key, where):
    v = _field(d, key, list, where)
    for i, n in enumerate(v):
        if not isinstance(n, str):
            raise ValueError(f"{where}: field {key!r} item {i} must be a layer name (str), "
                             f"got {type(n).__name__}")
    return v


def _set_decoder(layer, spec, at):
    """Mark ``layer`` as a decoder input from a config entry's ``decoder`` field."""
    if not isinstance(spec, dict) or set(spec) != {"start_token"}:
        raise ValueError(f"{at}: field 'decoder' must be a dict with the key 'start_token'")
    try:
        decoding.setDecoder(layer, spec["start_token"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{at}: field 'decoder': {exc}") from None


def layers_from_config(config):
    """Build the layers described by :func:`model_config`'s dict.

    Returns
    -------
    tuple
        ``(inputs, outputs, name)``, the arguments of :class:`~eddl.model.Model`.

    Raises
    ------
    ValueError
        For a malformed configuration; the message names the layer and the field.
    """
    if not isinstance(config, dict):
        raise ValueError(f"model config must be a dict, got {type(config).__name__}")
    fmt = config.get("format")
    if fmt != FORMAT:
        raise ValueError(f"model config: field 'format' must be {FORMAT!r}, got {fmt!r}")
    version = config.get("version")
    if version != VERSION:
        raise ValueError(f"model config: unsupported version {version!r} (this toolkit reads "
                         f"version {VERSION})")
    where = "model config"
    name = _field(config, "name", str, where)
    entries = _field(config, "layers", list, where)
    built = {}
    for i, entry in enumerate(entries):
        at = f"model config layer {i}"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: must be a dict, got {type(entry).__name__}")
        unknown = set(entry) - _LAYER_KEYS
        if unknown:
            raise ValueError(f"{at}: unknown field {sorted(unknown)[0]!r}; valid: "
                             f"{sorted(_LAYER_KEYS)}")
        class_name = _field(entry, "class_name", str, at)
        cfg = _field(entry, "config", dict, at)
        lname = cfg.get("name")
        # names can come from untrusted files: keep the message short
        at = f"model config layer {i} ({class_name[:80]} {str(lname)[:80]!r})"
        if not isinstance(lname, str) or not lname:
            raise ValueError(f"{at}: config field 'name' must be a non-empty str")
        if lname in built:
            raise ValueError(f"{at}: two layers are named {lname!r}")
        try:
            layer_cls = LAYERS.get(class_name)
        except ValueError as exc:
            raise ValueError(f"{at}: field 'class_name': {exc}") from None
        parents = []
        for p in _names(entry, "inbound", at):
            if p not in built:
                raise ValueError(f"{at}: field 'inbound' names {p!r}, which is not an earlier "
                                 f"layer")
            parents.append(built[p])
        layer = layer_cls.from_config(cfg, parents)
        for flag, default in (("trainable", True), ("detached", False)):
            value = entry.get(flag, default)
            if not isinstance(value, bool):
                raise ValueError(f"{at}: field {flag!r} must be a bool, got {type(value).__name__}")
            setattr(layer, flag, value)
        if "decoder" in entry:
            _set_decoder(layer, entry["decoder"], at)
        built[lname] = layer

    def pick(key):
        out = []
        for n in _names(config, key, where):
            if n not in built:
                raise ValueError(f"{where}: field {key!r} names unknown layer {n!r}")
            out.append(built[n])
        return out

    return pick("inputs"), pick("outputs"), name

