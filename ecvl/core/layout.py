"""Channel strings and the canonical memory layout.

An image's public axes follow its channels string (``"xyc"``: x first). Its
*canonical* array has the non-channel axes reversed (``t`` and a second ``o``
axis count as non-channel axes), the spatial ones among them always in
``z, y, x`` order, followed by one channel axis, the ``c`` axis (or the ``o``
axis when there is no ``c``), of size 1 when the string has neither. ``"xyc"``,
``"cxy"`` and ``"yxc"`` therefore share the canonical layout ``(H, W, C)`` of
OpenCV, Pillow and scikit-image, which is what every kernel reads: an image
declared in any axis order is laid out for them once, when it is made.
"""

from functools import lru_cache

from .errors import EcvlValueError

__all__ = ["check_channels", "canonical_order", "has_channel_axis"]

AXIS_LETTERS = "xyzcot"
_VALID_CHANNELS = set()


def check_channels(channels, ndim=None, what="channels"):
    """Validate a channels string, optionally against a number of axes; return it."""
    if channels.__class__ is not str or channels not in _VALID_CHANNELS:
        _check_letters(channels, what)
        if len(_VALID_CHANNELS) < 1024:  # images are built constantly from a few strings
            _VALID_CHANNELS.add(channels)
    if ndim is not None and len(channels) != ndim:
        raise EcvlValueError(f"{what} {channels!r} has {len(channels)} axes but the data has {ndim}")
    return channels


def _check_letters(channels, what):
    if not isinstance(channels, str):
        raise EcvlValueError(f"{what} must be a string such as 'xyc', got {channels!r}")
    bad = sorted(set(channels) - set(AXIS_LETTERS))
    if bad:
        raise EcvlValueError(
            f"{what} {channels!r} has unknown axis letters {bad}; use x, y, z, c, o, t"
        )
    for letter in "xyzct":
        if channels.count(letter) > 1:
            raise EcvlValueError(f"{what} {channels!r} repeats the axis {letter!r}")
    if channels.count("o") > 2:
        raise EcvlValueError(f"{what} {channels!r} has more than two 'o' axes")


@lru_cache(maxsize=256)
def canonical_order(channels):
    """Return ``(perm, channel_axis)`` for a channels string.

    ``perm`` lists the public axes in canonical order; ``channel_axis`` is the index
    of the public channel axis, or ``None`` when the canonical array gets a trailing
    axis of size 1.
    """
    if "c" in channels:
        ch = channels.index("c")
    elif "o" in channels:
        ch = channels.index("o")
    else:
        ch = None
    others = [i for i in range(len(channels)) if i != ch][::-1]
    # the spatial axes take the slots they hold in reversed order, sorted as z, y, x
    slots = [k for k, i in enumerate(others) if channels[i] in "xyz"]
    spatial = sorted((others[k] for k in slots), key=lambda i: "zyx".index(channels[i]))
    for k, i in zip(slots, spatial):
        others[k] = i
    perm = tuple(others + ([ch] if ch is not None else []))
    return perm, ch


def has_channel_axis(channels):
    """Return True when the channels string has a ``c`` or ``o`` axis."""
    return canonical_order(channels)[1] is not None


def inverse(perm):
    """Inverse of a permutation tuple."""
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)
