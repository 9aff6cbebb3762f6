"""The table of augmentation and container classes, by DSL name, and rebuilding from records.

Every :class:`~ecvl.augment.base.Augmentation` subclass registers itself here when it is
defined. The DSL parser, JSON/YAML loading and :meth:`Augmentation.Clone` look names up
here, so this module imports none of them.
"""

from _deephealth.registry import Registry

__all__ = ["REGISTRY", "get_augmentation_class", "from_dict"]

#: Every registered augmentation and container class, by DSL name.
REGISTRY = Registry("augmentation")


def get_augmentation_class(name):
    """Return the registered class called ``name``.

    Raises
    ------
    KeyError
        With the closest registered names when ``name`` is unknown.
    """
    return REGISTRY[name]


def from_dict(d):
    """Rebuild an augmentation or container from :meth:`Augmentation.to_dict` output.

    Parameters
    ----------
    d : dict
        ``{"name": ..., "params": {...}}`` plus ``"children"`` for containers.

    Returns
    -------
    Augmentation

    Examples
    --------
    >>> from ecvl.augment import AugRotate, from_dict
    >>> aug = AugRotate(angle=[-10, 10])
    >>> from_dict(aug.to_dict()) == aug
    True
    """
    if not isinstance(d, dict) or "name" not in d:
        raise ValueError(f"augmentation description must be a dict with a 'name', got {d!r}")
    unknown = set(d) - {"name", "params", "children"}
    if unknown:
        raise ValueError(f"{d['name']}: unknown keys {sorted(unknown)} in description")
    cls = get_augmentation_class(d["name"])
    params = dict(d.get("params") or {})
    if "children" in d:
        if not cls.is_container:
            raise ValueError(f"{d['name']} is not a container but has children")
        params["augs"] = [from_dict(c) for c in d["children"]]
    return cls(**params)
