"""Fetch a URL into the cache: checksums, resumable transfers, size and time limits.

:func:`fetch` is the one entry point the dataset and model downloads go through. It does
nothing at import time and never touches the network when the file is already there (in the
current folder or in the cache, checked against its SHA-256).
"""

import contextlib
import os
import urllib.parse
import warnings

from _deephealth.messages import one_line

from . import transfer
from .cache import check_sha256, file_sha256, get_cache_dir, read_record, record_path, write_record
from .errors import ChecksumError, DownloadError

__all__ = ["fetch", "DEFAULT_TIMEOUT", "DEFAULT_MAX_BYTES"]

#: Seconds to wait for a connection and for each read of the answer.
DEFAULT_TIMEOUT = 60.0
#: Largest file :func:`fetch` accepts unless told otherwise: the largest original data set
#: file (CIFAR-10's training images) is about 0.6 GB.
DEFAULT_MAX_BYTES = 4 * 2 ** 30


def fetch(url, name=None, *, sha256=None, cache_dir=None, progress=True, timeout=DEFAULT_TIMEOUT,
          max_bytes=DEFAULT_MAX_BYTES, retries=2, accept_cwd=True, validate=None):
    """Return the path of a local copy of ``url``, downloading it into the cache when needed.

    In order:

    1. With ``accept_cwd``, a file called ``name`` in the current folder is used as it is
       (as PyEDDL does), unless ``sha256`` is given and it does not match.
    2. A file ``name`` in the cache is used when it matches ``sha256`` or, without one, the
       SHA-256 recorded when it was downloaded. A corrupted copy is removed with a
       :class:`RuntimeWarning` and downloaded again. A file put there by hand is recorded.
    3. Otherwise it is downloaded into ``<cache>/<name>.part`` and renamed to ``name`` only
       when complete and checked: the final name never holds half a file. An interrupted
       transfer keeps the ``.part`` file and resumes it with an HTTP ``Range`` request (up
       to ``retries`` times in this call, and on the next call).

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` URL.
    name : str, optional
        The file name; by default the last part of the URL's path.
    sha256 : str, optional
        The expected SHA-256 (64 hex digits). Without it the first download is trusted and
        its SHA-256 recorded in ``<name>.sha256.json`` for later checks.
    cache_dir : str or os.PathLike, optional
        The cache folder; by default ``$DEEPHEALTH_DATA`` or ``~/.cache/deephealth``
        (see :func:`get_cache_dir`). It is created when needed.
    progress : bool, default True
        Show a progress bar (tqdm, on stderr); False is quiet.
    timeout : float, default 60
        Seconds to wait for the connection and for each read.
    max_bytes : int or None, default 4 GiB
        Refuse a file larger than this (announced or received); None for no limit.
    retries : int, default 2
        How many times an interrupted transfer is resumed within this call.
    accept_cwd : bool, default True
        Use a file called ``name`` in the current folder when there is one.
    validate : callable, optional
        ``validate(path)`` is called on the complete download before it gets its final name;
        any exception refuses the file (for example a web page instead of the data).

    Returns
    -------
    str
        The absolute path of the file.

    Raises
    ------
    DownloadError
        The download failed (offline, HTTP error, too large, interrupted, refused by
        ``validate``). The message names the URL and the path to put the file at by hand.
    ChecksumError
        The download does not match ``sha256``; it was discarded.

    Examples
    --------
    >>> from eddl.download import fetch
    >>> path = fetch("https://example.org/data/table.bin", sha256="ab" * 32,
    ...              cache_dir="/data/cache")  # doctest: +SKIP
    >>> path  # doctest: +SKIP
    '/data/cache/table.bin'
    """
    name = _file_name(url, name)
    sha256 = check_sha256(sha256)
    _check_limits(timeout, max_bytes, retries)
    folder = get_cache_dir(cache_dir)
    target = os.path.join(folder, name)
    cwd_name = name if accept_cwd and os.path.abspath(name) != target else None
    if cwd_name and _usable_local(os.path.abspath(name), sha256):
        return os.path.abspath(name)
    os.makedirs(folder, exist_ok=True)
    with _locked(target):
        # checked under the lock: another process may just have finished the same file
        if _cached_ok(target, url, sha256):
            return target
        part = target + ".part"
        _transfer(url, part, target, cwd_name, timeout, max_bytes, retries, progress, name)
        digest = file_sha256(part)
        if sha256 is not None and digest != sha256:
            transfer.discard(part)
            raise ChecksumError(url, target, f"its SHA-256 is {digest}, expected {sha256}; the "
                                "download was discarded", cwd_name=cwd_name)
        if validate is not None:
            try:
                validate(part)
            except Exception as e:
                transfer.discard(part)
                raise DownloadError(url, target, f"the server sent something other than the file "
                                    f"({one_line(e)})", cwd_name=cwd_name) from e
        # the record first: a crash before the rename leaves a record and no file, harmless
        write_record(target, url, digest, os.path.getsize(part))
        os.replace(part, target)
        transfer.discard(part)
    return target


def _file_name(url, name):
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url must be an http:// or https:// URL, got {one_line(url)!r}")
    if name is None:
        name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
        if not name:
            raise ValueError(f"cannot tell a file name from {one_line(url)!r}; pass name=")
    name = os.fspath(name)
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name or os.sep in name:
        raise ValueError(f"name must be a plain file name without a folder, got {one_line(name)!r}")
    return name


def _check_limits(timeout, max_bytes, retries):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)
                                  or max_bytes < 1):
        raise ValueError(f"max_bytes must be a positive integer or None, got {max_bytes!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative integer, got {retries!r}")


def _usable_local(path, sha256):
    if not os.path.isfile(path):
        return False
    if sha256 is None or file_sha256(path) == sha256:
        return True
    warnings.warn(f"{path} does not have the expected SHA-256 {sha256}: not using it",
                  RuntimeWarning, stacklevel=3)
    return False


def _cached_ok(target, url, sha256):
    """Say whether the cached ``target`` is good; a corrupted one is removed (with a warning)."""
    if not os.path.isfile(target):
        return False
    rec = read_record(target)
    size = os.path.getsize(target)
    if sha256 is None and rec is None:
        # put there by hand (or its record was lost): trust it once and record it
        _try_record(target, url, file_sha256(target), size)
        return True
    expected = sha256 or rec["sha256"]
    if sha256 is None and rec["size"] != size:
        problem = f"{size} bytes, {rec['size']} recorded"
    else:
        actual = file_sha256(target)
        if actual == expected:
            if rec is None or rec["sha256"] != actual or rec["size"] != size:
                _try_record(target, url, actual, size)
            return True
        problem = f"SHA-256 {actual}, expected {expected}"
    warnings.warn(f"the cached file {target} is corrupted ({problem}): downloading it again",
                  RuntimeWarning, stacklevel=3)
    for path in (target, record_path(target)):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    return False


def _try_record(target, url, digest, size):
    # a read-only shared cache still serves its files; it just cannot be recorded
    with contextlib.suppress(OSError):
        write_record(target, url, digest, size)


def _transfer(url, part, target, cwd_name, timeout, max_bytes, retries, progress, label):
    for attempt in range(retries + 1):
        try:
            transfer.download(url, part, timeout=timeout, max_bytes=max_bytes, progress=progress,
                              label=label)
            return
        except transfer.TransferError as e:
            if not e.retriable or attempt == retries:
                raise DownloadError(url, target, e.reason, cwd_name=cwd_name) from e


@contextlib.contextmanager
def _locked(target):
    """Hold an exclusive lock on ``<target>.lock`` (POSIX), so processes do not share a part.

    Several processes (one per GPU, say) may ask for the same file at once; the first
    downloads it and the others find it complete. Where locking is not possible (no
    ``fcntl``, a read-only cache) this does nothing.
    """
    try:
        import fcntl
        f = open(target + ".lock", "a")
    except (ImportError, OSError):
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
