"""Limits every ecvl reader honours before it allocates memory for a file's content.

Image files state their size in a header: a few bytes can announce gigabytes of pixels, and
compressed formats (PNG, deflated DICOM, ``.nii.gz``) can inflate a small file into a huge
one. Every reader checks the size a file announces against these limits, and the size it
can plausibly hold, before allocating; a file over a limit raises
:class:`~ecvl.ImageIOError` naming the limit and how to raise it.

The defaults admit 2-D planes up to 16384 x 16384 pixels and 2 GiB of decoded data per file
(a 512 x 512 x 2000 int16 CT series is 1 GiB), and refuse a 20000 x 20000 PNG, which
Pillow too refuses as a decompression bomb. Whole-slide images are read by region and are
not limited here.
"""

import contextlib
import threading

__all__ = ["get_limits", "set_limits", "limits", "check_size", "MAX_DEFLATE_RATIO"]

#: Largest expansion factor of a deflate (zlib/gzip) stream: 258-byte matches coded in at
#: least 2 bits give 1032:1, so a stream announcing more than this times its own size lies.
MAX_DEFLATE_RATIO = 1032

_DEFAULTS = {"max_pixels": 2 ** 28, "max_bytes": 2 ** 31}
_lock = threading.Lock()
_current = dict(_DEFAULTS)


def get_limits():
    """Return the current limits as a dict.

    Returns
    -------
    dict
        ``max_pixels``: most pixels one 2-D plane (image, frame, slice or page) may hold;
        ``max_bytes``: most bytes the decoded data of one file may take.

    Examples
    --------
    >>> from ecvl.io import limits
    >>> sorted(limits.get_limits())
    ['max_bytes', 'max_pixels']
    """
    with _lock:
        return dict(_current)


def set_limits(max_pixels=None, max_bytes=None):
    """Change the limits for the whole process; None keeps a limit as it is.

    Parameters
    ----------
    max_pixels : int, optional
        Most pixels one 2-D plane may hold (default 2**28, 16384 x 16384).
    max_bytes : int, optional
        Most bytes the decoded data of one file may take (default 2 GiB).

    Returns
    -------
    dict
        The limits before the change, to pass back to :func:`set_limits` later.

    Raises
    ------
    ValueError
        A limit that is not a positive integer.

    Examples
    --------
    >>> from ecvl.io import limits
    >>> old = limits.set_limits(max_pixels=10 ** 9)
    >>> limits.get_limits()["max_pixels"]
    1000000000
    >>> _ = limits.set_limits(**old)
    """
    new = {"max_pixels": max_pixels, "max_bytes": max_bytes}
    for k, v in new.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{k} must be a positive integer, got {v!r}")
    with _lock:
        old = dict(_current)
        _current.update({k: v for k, v in new.items() if v is not None})
    return old


@contextlib.contextmanager
def limits(max_pixels=None, max_bytes=None):
    """Context manager: other limits inside the block, the previous ones after it.

    The limits are process-wide, so threads running meanwhile see them too.

    Examples
    --------
    >>> from ecvl.io import limits
    >>> with limits.limits(max_pixels=100):
    ...     limits.get_limits()["max_pixels"]
    100
    """
    old = set_limits(max_pixels, max_bytes)
    try:
        yield
    finally:
        set_limits(**old)


def check_size(filename, pixels, nbytes, what="image"):
    """Raise ImageIOError when a decoded image of this size would pass a limit.

    Parameters
    ----------
    filename : str
        The file, for the message.
    pixels : int
        Pixels of the largest 2-D plane the file announces.
    nbytes : int
        Bytes its decoded data would take.
    what : str, optional
        What is announced, for the message.
    """
    from ..core.errors import ImageIOError

    cur = get_limits()
    if pixels > cur["max_pixels"]:
        raise ImageIOError(filename, f"{what} announces {pixels} pixels per plane, over the limit of "
                                     f"{cur['max_pixels']} (raise it with "
                                     "ecvl.io.limits.set_limits(max_pixels=...) for trusted files)")
    if nbytes > cur["max_bytes"]:
        raise ImageIOError(filename, f"{what} announces {nbytes} bytes of data, over the limit of "
                                     f"{cur['max_bytes']} (raise it with "
                                     "ecvl.io.limits.set_limits(max_bytes=...) for trusted files)")
