"""The download cache: where it is, and the SHA-256 record kept beside each finished file.

A file ``<name>`` in the cache has a sidecar ``<name>.sha256.json`` holding the URL it came
from, its SHA-256 and its size, written when the download finished. Every later use checks
the file against it, so a cache damaged by a disk, a full file system or a hand edit is
noticed instead of being fed to a model.
"""

import hashlib
import json
import os

from _deephealth.atomic import atomic_path

__all__ = ["ENV_VAR", "get_cache_dir", "record_path", "read_record", "write_record", "file_sha256",
           "check_sha256"]

#: Environment variable naming the cache folder (overridden by a ``cache_dir=`` argument).
ENV_VAR = "DEEPHEALTH_DATA"

_DEFAULT = os.path.join("~", ".cache", "deephealth")
_RECORD_SUFFIX = ".sha256.json"
_CHUNK = 1 << 20


def get_cache_dir(cache_dir=None):
    """Return the absolute cache folder: ``cache_dir``, else ``$DEEPHEALTH_DATA``, else the default.

    The default is ``~/.cache/deephealth``. The folder is not created here.

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        An explicit folder; ``~`` is expanded.

    Returns
    -------
    str

    Examples
    --------
    >>> from eddl.download import get_cache_dir
    >>> get_cache_dir("/data/deephealth")
    '/data/deephealth'
    """
    folder = cache_dir if cache_dir is not None else (os.environ.get(ENV_VAR) or _DEFAULT)
    folder = os.fspath(folder)
    if not folder:
        raise ValueError("cache_dir must not be empty")
    return os.path.abspath(os.path.expanduser(folder))


def record_path(path):
    """Return the sidecar file holding the SHA-256 record of the cached file ``path``."""
    return os.fspath(path) + _RECORD_SUFFIX


def read_record(path):
    """Return the record of ``path`` as ``{"url", "sha256", "size"}``, or None if absent or unusable.

    A damaged record is treated as missing: the file is then checked against the caller's
    checksum if there is one, and recorded anew.
    """
    try:
        with open(record_path(path), encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if not (isinstance(rec, dict) and isinstance(rec.get("size"), int)
            and _is_sha256(rec.get("sha256"))):
        return None
    return rec


def write_record(path, url, sha256, size):
    """Write the record of ``path`` atomically (readers never see half a record)."""
    rec = {"url": url, "sha256": sha256, "size": int(size)}
    with atomic_path(record_path(path)) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")


def file_sha256(path):
    """Return the SHA-256 of the file ``path`` as 64 lowercase hex digits.

    Examples
    --------
    >>> import tempfile, os
    >>> from eddl.download.cache import file_sha256
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "empty")
    ...     open(p, "wb").close()
    ...     file_sha256(p)[:16]
    'e3b0c44298fc1c14'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_sha256(sha256):
    """Return ``sha256`` normalised to lowercase hex (None stays None); ValueError if malformed."""
    if sha256 is None:
        return None
    if not isinstance(sha256, str) or not _is_sha256(sha256.lower()):
        raise ValueError(f"sha256 must be 64 hexadecimal digits, got {sha256!r}")
    return sha256.lower()


def _is_sha256(value):
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
